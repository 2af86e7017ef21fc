from pydantic import Field
from pydantic_settings import SettingsConfigDict

from together_servicekit.settings import CallsRegistration


class SchedulingSettings(CallsRegistration):
    """Also how it asks registration for the data keys that open profiles (`SCHEDULING_REGISTRATION_URL`,
    `SCHEDULING_TOKEN_SOURCE`, ...: `CallsRegistration`)."""

    model_config = SettingsConfigDict(env_prefix="SCHEDULING_", extra="ignore")

    service_name: str = "scheduling"
    database_name: str = "scheduling"
    port: int = 8004
    # The clock completes a session this long after its end, leaving the partners time to mark it done themselves.
    complete_after_minutes: int = Field(default=0, ge=0)
    # A participant not answering what they were asked (a survey, the final assessment) is reminded this many
    # working days later (weekends skipped, where they work).
    outcome_reminder_working_days: int = Field(default=5, ge=1, le=60)
