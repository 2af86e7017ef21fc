from pydantic_settings import SettingsConfigDict

from together_servicekit.settings import ServiceSettings


class PairingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAIRING_", extra="ignore")

    service_name: str = "pairing"
    database_name: str = "pairing"
    port: int = 8003
