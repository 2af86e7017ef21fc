"""Registration's own metrics (see together_servicekit.metrics): the cohort closer's backlog."""

import sqlalchemy as sa

from registration.tables import cohorts
from together_servicekit.metrics import timer_backlog

# A cohort is closed once its registration window's last day has passed (UTC): due at the next midnight.
closing_due = sa.func.timezone("UTC", sa.cast(cohorts.c.registration_closes_on + 1, sa.DateTime()))

scraped = [
    timer_backlog("cohort-closer", closing_due, cohorts.c.status == "open", cohorts.c.close_failed_at.is_(None)),
]
