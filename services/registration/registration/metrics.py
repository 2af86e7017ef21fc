"""Registration's own metrics (see together_servicekit.metrics): the cohort closer's and ender's backlogs."""

from datetime import date, datetime

import sqlalchemy as sa

from registration.tables import cohorts
from together_servicekit.metrics import timer_backlog


def _next_midnight_utc(day: sa.ColumnElement[date]) -> sa.ColumnElement[datetime]:
    """A date's job is due once the day has passed (UTC), as the workers' claims compare dates."""
    return sa.func.timezone("UTC", sa.cast(day + 1, sa.DateTime()), type_=sa.DateTime(timezone=True))


scraped = [
    timer_backlog(
        "cohort-closer",
        _next_midnight_utc(cohorts.c.registration_closes_on),
        cohorts.c.status == "open",
        cohorts.c.close_failed_at.is_(None),
    ),
    timer_backlog(
        "cohort-ender", _next_midnight_utc(cohorts.c.ends_on), cohorts.c.ended_at.is_(None), cohorts.c.end_failed_at.is_(None)
    ),
]
