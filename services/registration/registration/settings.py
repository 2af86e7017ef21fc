from pydantic import Field
from pydantic_settings import SettingsConfigDict

from together_servicekit.settings import ServiceSettings


class RegistrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRATION_", extra="ignore")

    service_name: str = "registration"
    database_name: str = "registration"
    port: int = 8001
    credential_max_bytes: int = Field(default=5 * 1024 * 1024, description="Largest coach credential file accepted.")
    cohort_close_poll_seconds: float = Field(
        default=30.0, description="How often the cohort closer and the cohort ender look for passed windows and end dates."
    )
    verification_link_base: str = Field(
        default="http://127.0.0.1:8001/participants/verify",
        description=(
            "The page a verification mail links to, followed by `#token=<token>`: it posts the token to "
            "`POST /participants/verify` for the signed-in person (the portal's page, once there is one)."
        ),
    )
