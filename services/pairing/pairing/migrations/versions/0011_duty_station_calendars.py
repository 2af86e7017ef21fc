"""duty station calendars: holidays per duty station instead of per time zone

Revision ID: 0011
Revises: 0010

`participants.duty_station` (from the profile; NULL for everyone registered before it, until their next
participant event), `programmes` (whether a programme counts official holidays; from ProgrammeCreated and
ProgrammeRulesChanged, empty until then: off, today's behaviour) and `holiday_changes` (the team's days
added and official holidays removed, per cohort and duty station), which replaces `holidays` (per cohort
and time zone). A day the team set for a time zone becomes a day added at each listed duty station in that
zone: the stations that shared the zone shared its list. The list is written out as it stood at this
revision: a migration stays as it was when later code changes.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: Union[str, Sequence[str], None] = "0010"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATIONS_BY_ZONE = [
    ("America/New_York", "New York"),
    ("Europe/Zurich", "Geneva"),
    ("Europe/Vienna", "Vienna"),
    ("Africa/Nairobi", "Nairobi"),
    ("Asia/Bangkok", "Bangkok"),
    ("Africa/Addis_Ababa", "Addis Ababa"),
    ("Asia/Beirut", "Beirut"),
    ("America/Santiago", "Santiago"),
    ("America/Mexico_City", "Mexico City"),
    ("America/Port_of_Spain", "Port of Spain"),
    ("Europe/Amsterdam", "The Hague"),
    ("Africa/Dar_es_Salaam", "Arusha"),
    ("America/Jamaica", "Kingston"),
    ("Africa/Kampala", "Entebbe"),
    ("Europe/Rome", "Brindisi"),
    ("Europe/Madrid", "Valencia"),
    ("Africa/Juba", "Juba"),
    ("Africa/Kinshasa", "Kinshasa"),
    ("Africa/Lubumbashi", "Goma"),
    ("Africa/Bangui", "Bangui"),
    ("Asia/Beirut", "Naqoura"),
    ("Asia/Kabul", "Kabul"),
    ("Asia/Baghdad", "Baghdad"),
    ("Africa/Mogadishu", "Mogadishu"),
    ("America/Port-au-Prince", "Port-au-Prince"),
    ("Europe/Belgrade", "Pristina"),
    ("Asia/Nicosia", "Nicosia"),
    ("Asia/Jerusalem", "Jerusalem"),
    ("Africa/Bamako", "Bamako"),
    ("Africa/Dakar", "Dakar"),
    ("Asia/Amman", "Amman"),
    ("America/Panama", "Panama City"),
    ("Pacific/Apia", "Apia"),
    ("Pacific/Fiji", "Suva"),
]


def _stations() -> str:
    return ", ".join(f"('{zone}', '{name}')" for zone, name in STATIONS_BY_ZONE)


def upgrade() -> None:
    op.add_column("participants", sa.Column("duty_station", sa.Text(), nullable=True))
    op.create_table(
        "programmes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("official_holidays", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "holiday_changes",
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("duty_station", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.CheckConstraint("change IN ('added', 'removed')", name="holiday_changes_change_known"),
        sa.PrimaryKeyConstraint("cohort_id", "duty_station", "day"),
    )
    op.execute(
        "INSERT INTO holiday_changes (cohort_id, duty_station, day, change) "
        f"SELECT h.cohort_id, s.name, h.day, 'added' FROM holidays h JOIN (VALUES {_stations()}) AS s(zone, name) "
        "ON s.zone = h.time_zone"
    )
    op.drop_table("holidays")


def downgrade() -> None:
    op.create_table(
        "holidays",
        sa.Column("cohort_id", sa.UUID(), nullable=False),
        sa.Column("time_zone", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("cohort_id", "time_zone", "day"),
    )
    op.execute(
        "INSERT INTO holidays (cohort_id, time_zone, day) "
        f"SELECT DISTINCT c.cohort_id, s.zone, c.day FROM holiday_changes c JOIN (VALUES {_stations()}) AS s(zone, name) "
        "ON s.name = c.duty_station WHERE c.change = 'added'"
    )
    op.drop_table("holiday_changes")
    op.drop_table("programmes")
    op.drop_column("participants", "duty_station")
