from pydantic_settings import SettingsConfigDict

from together_servicekit.settings import ServiceSettings


class SchedulingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULING_", extra="ignore")

    service_name: str = "scheduling"
    database_name: str = "scheduling"
    port: int = 8004
