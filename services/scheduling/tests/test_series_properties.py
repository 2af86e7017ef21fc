"""Random sequences of what can happen to a series (an occurrence moved, cancelled or completed
alone, the whole series moved or cancelled, the pairing ending, time passing): a refused change
changes nothing, every calendar change raises the shared SEQUENCE by exactly one, and an
occurrence's end (completed or cancelled) is final."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import AgendaItem
from scheduling.domain.series import Series, SeriesStatus
from scheduling.domain.sessions import SessionStatus
from scheduling.domain.times import Frequency, Recurrence, series_starts
from together_contracts.scheduling import CancelledBecause, CompletedBy
from together_servicekit.errors import DomainError

START = datetime(2027, 1, 4, 12, 0, tzinfo=UTC)
LOCAL_START = datetime(2027, 1, 11, 13, 0)
OCCURRENCES = 4

steps = st.lists(
    st.tuples(
        st.sampled_from(["move", "cancel", "complete", "wait", "move_series", "cancel_series", "end_pairing"]),
        st.integers(0, OCCURRENCES - 1),
        st.integers(-30, 30),  # hours: how far to move, or (absolute) how long to wait
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None, database=None)  # no example files left behind
@given(steps)
def test_a_series_keeps_its_invariants_whatever_happens(actions: list[tuple[str, int, int]]) -> None:
    pairing = Pairing(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), "mentee", "mentor", None)
    recurrence = Recurrence(Frequency.weekly, 1, count=OCCURRENCES)
    series, _ = Series.book(
        pairing,
        local_start=LOCAL_START,
        time_zone="America/New_York",
        duration_minutes=60,
        recurrence=recurrence,
        starts=series_starts(LOCAL_START, "America/New_York", recurrence, START),
        organiser_id=pairing.mentee_id,
        agenda=[AgendaItem(n, f"Meeting {n}") for n in range(1, OCCURRENCES + 1)],
        now=START,
    )
    now = START
    final: dict[uuid.UUID, SessionStatus] = {}
    for action, index, hours in actions:
        before = copy.deepcopy(series)
        occurrence = series.occurrences[index]
        changes_calendar = True
        try:
            match action:
                case "move":
                    series.reschedule_occurrence(
                        occurrence.id,
                        pairing,
                        starts_at=occurrence.starts_at + timedelta(hours=hours),
                        time_zone="UTC",
                        duration_minutes=None,
                        now=now,
                    )
                case "cancel":
                    series.cancel_occurrence(occurrence.id, pairing, now=now)
                case "complete":
                    changes_calendar = False
                    occurrence.complete(pairing, by=CompletedBy.marked_done, now=now)
                case "wait":
                    changes_calendar = False
                    now += timedelta(hours=abs(hours) * 12)
                case "move_series":
                    local = LOCAL_START + timedelta(hours=hours)
                    series.reschedule(pairing, local_start=local, time_zone="UTC", duration_minutes=None, now=now)
                case "cancel_series":
                    series.cancel(pairing, now=now)
                case "end_pairing":
                    pairing = pairing.ended(now)
                    changes_calendar = series.call_off(pairing, CancelledBecause.pairing_ended, now) is not None
        except DomainError:
            assert series == before, f"{action} was refused yet changed the series"
            continue
        if action != "wait":
            expected = before.calendar_sequence + (1 if changes_calendar else 0)
            assert series.calendar_sequence == expected, (
                f"{action}: SEQUENCE {before.calendar_sequence} -> {series.calendar_sequence}"
            )
        for o in series.occurrences:
            assert o.calendar_sequence <= series.calendar_sequence
            if o.id in final:
                assert o.status is final[o.id], "a completed or cancelled occurrence changed again"
            elif o.status is not SessionStatus.scheduled:
                final[o.id] = o.status
        if series.status is SeriesStatus.cancelled:
            assert all(o.status is SessionStatus.cancelled for o in series.occurrences)
        if series.status is not SeriesStatus.scheduled and before.status is SeriesStatus.scheduled:
            assert not any(o.is_upcoming(now) for o in series.occurrences), "an occurrence lies ahead of a series that stopped"
        if before.status is not SeriesStatus.scheduled:
            assert series.status is before.status and series.calendar_sequence == before.calendar_sequence
