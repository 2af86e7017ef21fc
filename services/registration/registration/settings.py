from pydantic_settings import SettingsConfigDict

from together_servicekit.settings import ServiceSettings


class RegistrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRATION_", extra="ignore")

    service_name: str = "registration"
    database_name: str = "registration"
    port: int = 8001
