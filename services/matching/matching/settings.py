from pydantic_settings import SettingsConfigDict

from together_servicekit.settings import CallsRegistration


class MatchingSettings(CallsRegistration):
    """Also how it asks registration for the data keys that open profiles (`MATCHING_REGISTRATION_URL`,
    `MATCHING_TOKEN_SOURCE`, ...: `CallsRegistration`)."""

    model_config = SettingsConfigDict(env_prefix="MATCHING_", extra="ignore")

    service_name: str = "matching"
    database_name: str = "matching"
    port: int = 8002
