from pydantic_settings import SettingsConfigDict

from together_servicekit.settings import CallsRegistration


class PairingSettings(CallsRegistration):
    """Also how it asks registration for the data keys that open profiles (`PAIRING_REGISTRATION_URL`,
    `PAIRING_TOKEN_SOURCE`, ...: `CallsRegistration`)."""

    model_config = SettingsConfigDict(env_prefix="PAIRING_", extra="ignore")

    service_name: str = "pairing"
    database_name: str = "pairing"
    port: int = 8003
