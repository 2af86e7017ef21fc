"""A session held outside the platform, recorded afterwards by a partner (pure).

The seeds let a pair meet through Outlook, Teams or elsewhere and "mark your sessions as done" on
the platform afterwards. Such a session is recorded already held: it is `completed`, takes an agenda
item of the plan as a booking would, and counts wherever held sessions are counted (the pairing's
sessions, the plan's progress, the next-session reminder). Its `SessionCompleted` asks both partners
for feedback, as a booked session's does; `SessionRecorded` comes before it, in place of
`SessionScheduled`.

Refused, each naming its field: a start in the future (422 `not_in_the_future`: it was held), before
the pairing was formed (422 `after_pairing_formed`) or from its end on (422 `before_pairing_ended`);
a plan step the plan lacks (422 `in_plan`); a time another live session of the pairing, booked or
recorded, overlaps (409 `not_already_recorded`: a booked one is marked done instead); a plan step
another live session holds (409 `open_step`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from scheduling.domain.pairing import Pairing
from scheduling.domain.plans import AgendaItem, Plan
from scheduling.domain.sessions import Session, SessionStatus, taken_steps
from scheduling.domain.times import as_seen_in
from together_contracts.scheduling import CompletedBy, SessionCompleted, SessionRecorded
from together_servicekit.errors import Conflict, DomainError, Violation


def record_held_elsewhere(
    pairing: Pairing,
    sessions: Sequence[Session],
    plan: Plan,
    *,
    starts_at: datetime,
    time_zone: str,
    duration_minutes: int,
    recorded_by: UUID,
    plan_step: int | None,
    now: datetime,
) -> tuple[Session, SessionRecorded, SessionCompleted]:
    """The session, completed, with its two events. `sessions` are all the pairing's; `plan_step`
    None takes the plan's next open agenda item, as a booking does."""
    _check_when(pairing, starts_at, time_zone, plan, plan_step, now)
    _check_not_recorded(sessions, starts_at, duration_minutes, time_zone)
    agenda = _agenda_item(plan, taken_steps(sessions), plan_step)
    session = Session(
        id=uuid.uuid4(),
        pairing_id=pairing.id,
        starts_at=starts_at,
        time_zone=time_zone,
        duration_minutes=duration_minutes,
        status=SessionStatus.scheduled,
        organiser_id=recorded_by,
        calendar_sequence=0,
        plan_step=agenda.step,
        agenda_title=agenda.title,
        agenda_themes=agenda.themes,
        held_elsewhere=True,
    )
    recorded = SessionRecorded(
        session_id=session.id,
        pairing_id=pairing.id,
        participant_ids=pairing.partners,
        recorded_by=recorded_by,
        starts_at=starts_at,
        time_zone=time_zone,
        duration_minutes=duration_minutes,
        agenda_title=agenda.title,
        agenda_themes=list(agenda.themes),
        recorded_at=now,
    )
    # Completed as a booked session is marked done: the same event, so it is counted and asks for feedback alike.
    return session, recorded, session.complete(pairing, by=CompletedBy.marked_done, now=now)


def _check_when(pairing: Pairing, starts_at: datetime, time_zone: str, plan: Plan, plan_step: int | None, now: datetime) -> None:
    problems = []
    if starts_at > now:
        problems.append(
            Violation("starts_at", "not_in_the_future", "a session is recorded once it was held; book one that lies ahead")
        )
    if pairing.formed_at is not None and starts_at < pairing.formed_at:
        formed = as_seen_in(pairing.formed_at, 0, time_zone).starts_at
        problems.append(
            Violation(
                "starts_at",
                "after_pairing_formed",
                f"the pairing was formed on {formed:%Y-%m-%d %H:%M} ({time_zone}); a session before it is not the pairing's",
            )
        )
    if pairing.ended_at is not None and starts_at >= pairing.ended_at:
        ended = as_seen_in(pairing.ended_at, 0, time_zone).starts_at
        problems.append(
            Violation(
                "starts_at",
                "before_pairing_ended",
                f"the pairing ended on {ended:%Y-%m-%d %H:%M} ({time_zone}); a session after it is not the pairing's",
            )
        )
    if plan_step is not None and not 1 <= plan_step <= len(plan.sessions):
        problems.append(Violation("plan_step", "in_plan", f"the session plan has steps 1 to {len(plan.sessions)}"))
    if problems:
        raise DomainError("the session cannot be recorded", problems, code="invalid_input")


def _check_not_recorded(sessions: Sequence[Session], starts_at: datetime, duration_minutes: int, time_zone: str) -> None:
    """No two live sessions of a pairing overlap: a session booked for that time is marked done instead."""
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    for other in sessions:
        if other.is_live and other.starts_at < ends_at and starts_at < other.ends_at:
            seen = as_seen_in(other.starts_at, other.duration_minutes, time_zone)
            what = "recorded" if other.held_elsewhere else "booked"
            instead = "mark it done instead" if other.status is SessionStatus.scheduled else "it is counted already"
            message = (
                f"a session of this pairing is already {what} from {seen.starts_at:%Y-%m-%d %H:%M} to "
                f"{seen.ends_at:%H:%M} ({time_zone}), session {other.id}: {instead}"
            )
            raise Conflict(message, [Violation("starts_at", "not_already_recorded", message)])


def _agenda_item(plan: Plan, taken: set[int], plan_step: int | None) -> AgendaItem:
    if plan_step is None:
        (item,) = plan.open_items(taken, 1)
        return item
    if plan_step in taken:
        message = f"step {plan_step} of the session plan is held by another session of this pairing"
        raise Conflict(message, [Violation("plan_step", "open_step", message)])
    planned = plan.sessions[plan_step - 1]
    return AgendaItem(planned.step, planned.title, planned.themes)
