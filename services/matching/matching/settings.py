from pydantic_settings import SettingsConfigDict

from together_servicekit.settings import ServiceSettings


class MatchingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore")

    service_name: str = "matching"
    database_name: str = "matching"
    port: int = 8002
