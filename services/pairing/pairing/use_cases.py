"""Pairing's use cases: each loads what its change reaches (`repository.Unit`, in pairing's one lock
order), authorises the caller (ADR 0005), calls the rules (`domain`), then saves the objects and
records their events in one transaction.

The HTTP API calls the first group with a caller; the consumers and the deadline worker call the
others inside the transaction that also holds their inbox row or claimed timer.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from pairing import records, repository
from pairing.access import visible_cohort, visible_participant
from pairing.domain import calendar, preferences
from pairing.domain.model import MentorFull, Request, RequestStatus, TimerKind, TimerOutcome, TransitionRefused
from pairing.domain.preferences import cohort_ended_violation
from pairing.repository import Unit, participant_of
from together_contracts.matching import AssignmentAccepted
from together_contracts.pairing import Engagement
from together_contracts.registration import (
    ERASED_ANSWER,
    CoachCredentialApproved,
    CohortEnded,
    CohortOpened,
    ParticipantAdmitted,
    ParticipantAnswersErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    ParticipantRoleGranted,
    ParticipantWithdrawn,
    ProgrammeCreated,
    ProgrammeRulesChanged,
    PublicProfile,
)
from together_contracts.registration_sealed import sealed_away
from together_contracts.roles import capacity_of, is_full
from together_contracts.words import DEFAULT_LANGUAGE
from together_contracts.working_days import DeadlinesMovedBecause, HolidaysChanged, RequestDeadlinesMoved
from together_servicekit.auth import Forbidden, Principal
from together_servicekit.errors import Conflict, DomainError, NotFound, invalid
from together_servicekit.runtime import Runtime

log = structlog.get_logger(__name__)

# Called with a caller (the HTTP API).


async def submit_preferences(
    runtime: Runtime,
    caller: Principal,
    *,
    cohort_id: UUID,
    mentee_id: UUID,
    mentor_ids: list[UUID],
    engagement: Engagement | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> UUID:
    """Rule: the mentee themself. Every reason a request is refused, in `language`: the mentee's state, the
    list's, each mentor's place, and the hard rules of each pair (grade, a shared meeting language, both
    sides eligible: `domain/pair_rules.py`), checked here whatever matching suggested."""
    async with runtime.engine.begin() as conn:
        unit = Unit(runtime, conn)
        await unit.lock_cohort(cohort_id)
        found = await unit.participant(mentee_id, lock=True)
        in_cohort = found if found is not None and found.cohort_id == cohort_id else None
        mentee = visible_participant(caller, in_cohort, "mentee in this cohort", mentee_id)
        if not caller.is_person(mentee.person_id):
            raise Forbidden("only the mentee submits their preferences")
        await _refuse_after_the_end(conn, cohort_id)
        if (violation := preferences.mentee_violation(participant_of(mentee), language)) is not None:
            raise invalid(violation.field, violation.rule, violation.message)
        mentors = {
            row.id: preferences.MentorView(
                id=row.id,
                is_mentor=participant_of(row).offers_places,
                has_free_capacity=not is_full(row.capacity, row.active_pairings),
                side=records.side_of(row),
            )
            for row in await records.participants_in(conn, cohort_id, mentor_ids)
        }
        violations = preferences.preference_violations(
            mentee_id,
            mentor_ids,
            mentors,
            already_paired=await records.has_active_pairing(conn, mentee_id),
            has_open_selection=await records.has_open_selection(conn, mentee_id),
            programme=await records.programme_terms(conn, cohort_id),
            mentee=records.side_of(mentee),
            language=language,
        ) + preferences.engagement_violations(await unit.programme_kind(cohort_id), mentor_ids, engagement, language)
        if violations:
            raise DomainError(preferences.refused(violations, language), violations)
        for mentor_id in mentor_ids:
            await unit.desk(mentor_id)
        selection = unit.lifecycle.submit(
            mentee_id=mentee_id, cohort_id=cohort_id, ranked_mentor_ids=mentor_ids, engagement=engagement
        )
        await unit.save()
    return selection.id


async def accept(runtime: Runtime, caller: Principal, *, request_id: UUID) -> UUID:
    """Rule: the mentor the request is addressed to."""
    async with runtime.engine.begin() as conn:
        unit = Unit(runtime, conn)
        request = await _request_for_its_mentor(unit, caller, request_id)
        mentee = await unit.participant(request.mentee_id)
        if mentee is None:
            raise NotFound("mentee of request", request_id)
        # What the accept reaches: the selection, and if the mentor is full then, the next choices of those queued behind.
        await unit.selection(request.selection_id)
        await unit.next_choices_after(r for r in unit.lifecycle.desk(request.mentor_id).open_requests if r is not request)
        try:
            pairing = unit.lifecycle.accept(request, mentee_person_id=mentee.person_id)
        except TransitionRefused as refused:
            if refused.subject != request_id:
                raise  # refused further down the cascade: a bug, not a race
            raise Conflict(f"the request is {refused.status}, not awaiting an answer") from None
        except MentorFull:
            raise Conflict("the mentor has no free place") from None
        await unit.save()
    return pairing.id


async def decline(runtime: Runtime, caller: Principal, *, request_id: UUID) -> None:
    """Rule: the mentor the request is addressed to."""
    async with runtime.engine.begin() as conn:
        unit = Unit(runtime, conn)
        request = await _request_for_its_mentor(unit, caller, request_id)
        await unit.choices_of(request.selection_id)
        try:
            unit.lifecycle.decline(request)
        except TransitionRefused as refused:
            if refused.subject != request_id:
                raise  # refused further down the cascade: a bug, not a race
            raise Conflict(f"the request is {refused.status}, not awaiting an answer") from None
        await unit.save()


async def _request_for_its_mentor(unit: Unit, caller: Principal, request_id: UUID) -> Request:
    located = await unit.locate_request(request_id)
    if located is None:
        raise NotFound("request", request_id)
    await unit.lock_cohort(located.cohort_id)
    mentor = await unit.desk(located.mentor_id)
    if mentor is None or not caller.is_person(mentor.person_id):
        raise NotFound("request", request_id)  # to anyone but its mentor, a request does not exist
    request = await unit.request(request_id)  # read under the mentor's lock: a concurrent answer may have just landed
    if request is None:
        raise NotFound("request", request_id)
    await _refuse_after_the_end(unit.conn, located.cohort_id)
    return request


async def _refuse_after_the_end(conn: AsyncConnection, cohort_id: UUID) -> None:
    """409 `cohort_ended` once the cohort ended (read under the cohort's lock: its end is not half done)."""
    if (violation := cohort_ended_violation(await records.cohort_ended_at(conn, cohort_id))) is not None:
        raise Conflict(violation.message, [violation])


async def end_pairing(
    runtime: Runtime, caller: Principal, *, pairing_id: UUID, message_to_partner: str, note_to_programme_team: str | None
) -> None:
    """Rule: the mentee ("request a new mentor"); in coaching, the mentor too. To anyone else the pairing does not exist."""
    async with runtime.engine.begin() as conn:
        unit = Unit(runtime, conn)
        located = await unit.locate_pairing(pairing_id)
        if located is None:
            raise NotFound("pairing", pairing_id)
        await unit.lock_cohort(located.cohort_id)
        mentor = await unit.desk(located.mentor_id)
        pairing = await unit.pairing(pairing_id)
        if pairing is None:
            raise NotFound("pairing", pairing_id)
        mentee = await unit.participant(pairing.mentee_id)
        try:
            ended_by = preferences.ending_side(
                caller_is_mentee=mentee is not None and caller.is_person(mentee.person_id),
                caller_is_mentor=mentor is not None and caller.is_person(mentor.person_id),
                programme_kind=await unit.programme_kind(pairing.cohort_id),
            )
        except preferences.NotAPartner:
            raise NotFound("pairing", pairing_id) from None
        except preferences.MentorMayNotEnd as refused:
            raise Forbidden(str(refused)) from None
        await _refuse_after_the_end(conn, pairing.cohort_id)
        await unit.selection(pairing.selection_id)
        try:
            unit.lifecycle.end_pairing(
                pairing, ended_by, message_to_partner=message_to_partner, note_to_programme_team=note_to_programme_team
            )
        except TransitionRefused as refused:
            if refused.subject != pairing_id:
                raise  # refused further down the cascade: a bug, not a race
            raise Conflict(f"the pairing is already {refused.status}") from None
        await unit.save()


async def follow_mentor(runtime: Runtime, caller: Principal, *, mentor_id: UUID, mentee_id: UUID) -> bool:
    """The mentee will be told when the mentor has a place again. Rule: the mentee themself. True if new."""
    async with runtime.engine.begin() as conn:
        unit = Unit(runtime, conn)
        mentee = visible_participant(caller, await unit.participant(mentee_id), "mentee", mentee_id)
        if not caller.is_person(mentee.person_id):
            raise Forbidden("only the mentee follows mentors for themself")
        await unit.lock_cohort(mentee.cohort_id)  # the mentor's fullness holds until the commit
        await _refuse_after_the_end(conn, mentee.cohort_id)
        mentor = await unit.participant(mentor_id)
        desk = await unit.desk(mentor_id, lock=False)
        violation = preferences.follow_violation(
            participant_of(mentor) if mentor else None,
            mentor_id,
            cohort_id=mentee.cohort_id,
            mentor_full=desk is not None and desk.is_full,
        )
        if violation is not None:
            raise invalid(violation.field, violation.rule, violation.message)
        newly = unit.lifecycle.follow(mentor_id, mentee_id)
        await unit.save()
    return newly


async def set_holidays(
    runtime: Runtime, caller: Principal, *, cohort_id: UUID, duty_station: str, added: list[date], removed: list[date]
) -> tuple[HolidaysChanged, int]:
    """Replace the cohort's holiday changes at one duty station: the event (the station's name as the list spells
    it, the days sorted, once each) and how many requests' deadlines moved. Rule: the cohort's programme team."""
    changed = calendar.holidays_changed(cohort_id, duty_station, added=added, removed=removed, now=runtime.now())
    async with runtime.engine.begin() as conn:
        await visible_cohort(conn, caller, cohort_id)  # the team that sees it sets its holidays
        unit = Unit(runtime, conn)
        await unit.lock_cohort(cohort_id)
        await records.replace_holiday_changes(
            conn, cohort_id, changed.duty_station, added=changed.days_added, removed=changed.days_removed
        )
        await runtime.record(conn, changed)
        mentors = await records.mentors_awaiting_an_answer(conn, cohort_id, duty_station=changed.duty_station)
        moved = await _move_deadlines(unit, mentors, DeadlinesMovedBecause.holidays_changed)
    return changed, moved


async def _move_deadlines(unit: Unit, mentor_ids: list[UUID], reason: DeadlinesMovedBecause) -> int:
    """The mentors' days off changed (already written): each one's pending request gets its deadlines again, its
    timers follow. Returns how many moved."""
    for mentor_id in mentor_ids:
        await unit.desk(mentor_id)  # loaded with the new days off
        unit.lifecycle.days_off_changed(mentor_id, reason)
    moved = sum(isinstance(event, RequestDeadlinesMoved) for event in unit.lifecycle.events)
    await unit.save()
    return moved


# Called by the deadline worker, in the transaction that claimed the timer.


async def fire_timer(runtime: Runtime, conn: AsyncConnection, timer: sa.Row) -> TimerOutcome | None:
    """The request's cohort, then its mentor, are locked first; the timer is marked fired with its outcome.
    None: the request's deadline moved later meanwhile, and the timer with it (not fired)."""
    unit = Unit(runtime, conn)
    located = await unit.locate_request(timer.request_id)
    if located is None:
        raise NotFound("request", timer.request_id)
    await unit.lock_cohort(located.cohort_id)
    request = await unit.request(timer.request_id)
    if request is None:
        raise NotFound("request", timer.request_id)
    kind = TimerKind(timer.kind)
    deadline = request.remind_at if kind is TimerKind.reminder else request.expires_at
    if request.status is RequestStatus.pending and deadline is not None and deadline != timer.due_at and deadline > runtime.now():
        # Its deadline moved while this worker held the timer (a calendar change skips held timers): not due yet.
        await records.reschedule_timer(conn, timer.id, deadline)
        return None
    if kind is TimerKind.expiry and request.status is RequestStatus.pending:
        await unit.choices_of(request.selection_id)  # what an expiry reaches: the mentee's next choice
    outcome = unit.lifecycle.fire(kind, request)
    await unit.save()
    await records.mark_timer_fired(conn, timer.id, runtime.now(), outcome)
    return outcome


# Called by the consumers, in the transaction that holds the event's inbox row.

ParticipantState = ParticipantRegistered | ParticipantProfileUpdated | ParticipantRoleGranted


async def participant_stated(runtime: Runtime, conn: AsyncConnection, event: ParticipantState) -> None:
    """The participant's roles, capacity, time zone and duty station as the event states them. A capacity raised
    with a place now free tells followers; lowered to full, it releases requests not yet accepted. Deadlines
    already set keep the time zone and the days off they were computed with."""
    roles = [role.value for role in event.roles]
    values: dict[str, object] = {
        "person_id": event.person_id,
        "programme_id": event.programme_id,
        "cohort_id": event.cohort_id,
        "roles": roles,
        "capacity": capacity_of(roles, event.mentor_capacity, event.coach_capacity),
        "time_zone": event.profile.time_zone,
        "duty_station": event.profile.duty_station,
        **_answers_the_rules_read(event.profile),
    }
    if isinstance(event, ParticipantRegistered):
        values["coach_approved"] = event.coach_approved  # later changes come as CoachCredentialApproved
        values["waitlisted"] = event.waitlisted  # and as ParticipantAdmitted
    unit = Unit(runtime, conn)
    await unit.lock_cohort(event.cohort_id)
    before = await unit.participant(event.participant_id, lock=True)
    await records.upsert_participant(conn, event.participant_id, values)
    if before is None or before.capacity == values["capacity"]:
        return  # a new participant, or the same places: nothing to move
    if await records.cohort_ended_at(conn, event.cohort_id) is not None:
        return  # the cohort is over: no place opens, nothing is released
    desk = await unit.desk(event.participant_id)  # as restated: its new capacity and time zone
    if desk is not None:
        await unit.next_choices_after(desk.open_requests)  # what a capacity lowered to full reaches
        unit.lifecycle.capacity_changed(event.participant_id, before=before.capacity)
        await unit.save()


async def participant_withdrew(runtime: Runtime, conn: AsyncConnection, event: ParticipantWithdrawn) -> None:
    """`withdrawn_at` is the event's (the read model must rebuild equal); what pairing does is at its own clock's
    now. A second withdrawal event for the same participant (a new event id) changes nothing."""
    unit = Unit(runtime, conn)
    cohort_id = await unit.cohort_of_participant(event.participant_id)
    if cohort_id is None:
        return
    await unit.lock_cohort(cohort_id)  # so the requests and pairings read below stay as read
    participant = await unit.desk(event.participant_id)
    if participant is None or participant.withdrawn:
        return
    await unit.withdrawal_of(event.participant_id)
    unit.lifecycle.participant_withdrew(event.participant_id, event.withdrawn_at)
    await unit.save()


def _answers_the_rules_read(profile: PublicProfile) -> dict[str, object]:
    """The public answers the hard rules of a request read (`domain/pair_rules.py`)."""
    return {
        "grade": profile.grade,
        "years_of_service": profile.years_of_service,
        "languages": list(profile.languages),
        "entity": profile.entity,
        "job_network": profile.job_network,
    }


async def answers_erased(conn: AsyncConnection, event: ParticipantAnswersErased) -> None:
    """The answers pairing copies (the time zone, the duty station, and those the hard rules read) become the placeholders: what the
    participant's sealed profile opens to once their key is gone, so the copy equals a rebuild (ADR 0008).
    Withdrawn before, they have no deadline left to compute with them."""
    await repository.lock_cohort(conn, event.cohort_id)
    erased = sealed_away()
    await records.update_participant(
        conn, event.participant_id, time_zone=erased.time_zone, duty_station=ERASED_ANSWER, **_answers_the_rules_read(erased)
    )


async def programme_rules_stated(
    runtime: Runtime, conn: AsyncConnection, event: ProgrammeCreated | ProgrammeRulesChanged
) -> None:
    """The programme's rules as they are now (requests made from now on are checked against them), and whether
    it counts official holidays (rules from before rules existed: no). Switched either
    way, the pending requests of the programme's mentors get their deadlines again, cohort by cohort."""
    official = event.rules.official_holidays if event.rules is not None else False
    cohort_ids = await records.cohorts_of_programme(conn, event.programme_id)
    unit = Unit(runtime, conn)
    for cohort_id in cohort_ids:  # pairing's lock order, cohorts first; in id order, as this alone takes several
        await unit.lock_cohort(cohort_id)
    before = await records.upsert_programme(conn, event.programme_id, official_holidays=official)
    await records.upsert_programme_rules(conn, event.programme_id, event.rules)  # requests from now on are checked against them
    if bool(before) == official:  # unknown until now: it counted none, like a programme that does not
        return
    mentors = [mentor for cohort_id in cohort_ids for mentor in await records.mentors_awaiting_an_answer(conn, cohort_id)]
    await _move_deadlines(unit, mentors, DeadlinesMovedBecause.official_holidays_switched)


async def coach_approved(conn: AsyncConnection, event: CoachCredentialApproved) -> None:
    await repository.lock_cohort(conn, event.cohort_id)
    await records.update_participant(conn, event.participant_id, coach_approved=True)


async def participant_admitted(conn: AsyncConnection, event: ParticipantAdmitted) -> None:
    await repository.lock_cohort(conn, event.cohort_id)
    await records.update_participant(conn, event.participant_id, waitlisted=False)


async def cohort_opened(conn: AsyncConnection, event: CohortOpened) -> None:
    await repository.lock_cohort(conn, event.cohort_id)
    await records.upsert_cohort(conn, event.cohort_id, programme_id=event.programme_id, programme_kind=event.programme_kind.value)


async def cohort_ended(runtime: Runtime, conn: AsyncConnection, event: CohortEnded) -> None:
    """Registration's CohortEnded: the cohort's active pairings complete (`PairingCompleted`, programme_ended), its
    open requests lapse (`RequestLapsed`; their timers are moot) and its open selections close; no next choice is
    tried and no place is given back (no follower is told). `ended_at` is the event's (the read model must rebuild
    equal); what pairing does is at its own clock's now. A second CohortEnded for the cohort changes nothing."""
    unit = Unit(runtime, conn)
    await unit.lock_cohort(event.cohort_id)
    if await records.cohort_ended_at(conn, event.cohort_id) is not None:
        return
    await records.mark_cohort_ended(conn, event.cohort_id, programme_id=event.programme_id, ended_at=event.ended_at)
    await records.forget_followers_in(conn, event.cohort_id)
    await unit.cohort_end_of(event.cohort_id)
    unit.lifecycle.cohort_ended(event.cohort_id)
    lapsed = [request.id for request in unit.requests.values() if request.status is RequestStatus.lapsed]
    await unit.save()
    await records.settle_moot_timers(conn, lapsed, runtime.now())
    log.info("cohort.ended", cohort_id=str(event.cohort_id), requests_lapsed=len(lapsed))


async def assignment_accepted(runtime: Runtime, conn: AsyncConnection, event: AssignmentAccepted) -> None:
    """Matching's AssignmentAccepted: each pair becomes a one-mentor selection sent through the ordinary lifecycle
    (the mentor may still decline, deadlines apply), or is skipped with its reason. The same assignment handled
    again (a new event id) sends nothing twice (`already_sent`)."""
    unit = Unit(runtime, conn)
    await unit.lock_cohort(event.cohort_id)
    if await records.cohort_ended_at(conn, event.cohort_id) is not None:
        log.warning("assignment.after_cohort_end", assignment_id=str(event.assignment_id), cohort_id=str(event.cohort_id))
        return  # the cohort is over: nobody is asked any more
    programme = await records.programme_terms(conn, event.cohort_id)
    for pair in event.pairs:
        mentee = await unit.participant(pair.mentee_id, lock=True)  # as a submission does: one decision at a time
        mentor = await unit.participant(pair.mentor_id)
        reason = preferences.assigned_pair_skip(
            participant_of(mentee) if mentee else None,
            participant_of(mentor) if mentor else None,
            cohort_id=event.cohort_id,
            already_sent=await records.has_selection_from(conn, pair.mentee_id, event.assignment_id),
            mentee_paired=await records.has_active_pairing(conn, pair.mentee_id),
            open_selection=await records.has_open_selection(conn, pair.mentee_id),
            programme=programme,
            mentee_side=records.side_of(mentee) if mentee else None,
            mentor_side=records.side_of(mentor) if mentor else None,
        )
        if reason is not None:
            unit.lifecycle.skip_assigned_pair(event.assignment_id, event.cohort_id, pair, reason)
        else:
            # A full mentor is the ordinary case too: the request is queued, withdrawn (mentor_full) and the selection exhausted.
            await unit.desk(pair.mentor_id)
            unit.lifecycle.submit(
                mentee_id=pair.mentee_id,
                cohort_id=event.cohort_id,
                ranked_mentor_ids=[pair.mentor_id],
                assignment_id=event.assignment_id,
            )
        await unit.save()  # the next pair's checks read what this one did
