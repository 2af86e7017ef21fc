from pydantic_settings import SettingsConfigDict

from together_servicekit.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore")

    service_name: str = "notifications"
    database_name: str = "notifications"
    port: int = 8005
