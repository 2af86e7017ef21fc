"""The request lifecycle's transitions and cascades, on plain objects (no database)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from pairing.domain.deadlines import Deadlines
from pairing.domain.lifecycle import Lifecycle
from pairing.domain.model import (
    MentorDesk,
    MentorFull,
    Pairing,
    PairingStatus,
    Request,
    RequestStatus,
    Selection,
    SelectionStatus,
    TimerKind,
    TimerOutcome,
    TransitionRefused,
)
from pairing.domain.preferences import (
    MentorMayNotEnd,
    NotAPartner,
    Participant,
    Readers,
    assigned_pair_skip,
    cohort_ended_violation,
    ending_side,
    follow_violation,
    mentee_violation,
)
from together_contracts.pairing import (
    CompletedBecause,
    EndedBy,
    MentorAvailable,
    MentorFollowed,
    PairingCompleted,
    PairingEnded,
    PairingFormed,
    PreferencesExhausted,
    PreferencesSubmitted,
    RequestAccepted,
    RequestCancelled,
    RequestDeclined,
    RequestExpired,
    RequestLapsed,
    RequestQueued,
    RequestReminderDue,
    RequestSent,
    RequestWithdrawn,
)
from together_contracts.pairing_v2 import SkipReason

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
COHORT = UUID(int=1)
PROGRAMME = UUID(int=2)


class World:
    """A cohort in memory: desks, selections, requests and pairings, a clock that ticks a second a step."""

    def __init__(self) -> None:
        self.desks: dict[UUID, MentorDesk | None] = {}
        self.selections: dict[UUID, Selection] = {}
        self.requests: dict[UUID, Request] = {}
        self.pairings: dict[UUID, Pairing] = {}
        self._ids = itertools.count(1000)
        self._ticks = itertools.count()
        self.lifecycle = Lifecycle(
            self.clock,
            desks=self.desks,
            selections=self.selections,
            requests=self.requests,
            pairings=self.pairings,
            new_id=self.new_id,
        )

    def clock(self) -> datetime:
        return MONDAY + timedelta(seconds=next(self._ticks))

    def new_id(self) -> UUID:
        return UUID(int=next(self._ids))

    def participant(self, capacity: int = 0) -> UUID:
        participant_id = self.new_id()
        self.desks[participant_id] = MentorDesk(
            mentor_id=participant_id,
            cohort_id=COHORT,
            person_id=f"person-{participant_id.int}",
            programme_id=PROGRAMME,
            capacity=capacity,
            active_pairings=0,
            time_zone="Europe/Zurich",
        )
        return participant_id

    def desk(self, participant_id: UUID) -> MentorDesk:
        return self.lifecycle.desk(participant_id)

    def submit(self, mentee_id: UUID, *mentor_ids: UUID) -> Selection:
        return self.lifecycle.submit(mentee_id=mentee_id, cohort_id=COHORT, ranked_mentor_ids=list(mentor_ids))

    def requests_of(self, selection: Selection) -> list[Request]:
        return sorted((r for r in self.requests.values() if r.selection_id == selection.id), key=lambda r: r.rank)

    def events(self) -> list[tuple[str, int]]:
        """Each event recorded since the last call: its type and the rank (or 0) it concerns."""
        events = [(type(e).__name__, getattr(e, "rank", 0)) for e in self.lifecycle.events]
        self.lifecycle.events.clear()
        return events


def a_request(status: RequestStatus = RequestStatus.waiting) -> Request:
    return Request(
        id=UUID(int=7),
        selection_id=UUID(int=8),
        mentee_id=UUID(int=9),
        mentor_id=UUID(int=10),
        cohort_id=COHORT,
        rank=1,
        status=status,
        created_at=MONDAY,
        reached_mentor_at=MONDAY if status is RequestStatus.pending else None,
        expires_at=MONDAY + timedelta(days=3) if status is RequestStatus.pending else None,
    )


FINAL = [s for s in RequestStatus if s not in (RequestStatus.waiting, RequestStatus.pending)]


# A request's transitions.


def test_a_request_reaches_its_mentor_with_its_deadlines():
    world = World()
    mentor = world.participant(capacity=1)
    mentee = world.participant()
    world.submit(mentee, mentor)
    assert world.events() == [("PreferencesSubmitted", 0), ("RequestQueued", 1), ("RequestSent", 1)]
    request = world.desk(mentor).pending
    assert request is not None and request.status is RequestStatus.pending
    assert request.reached_mentor_at is not None and request.remind_at is not None and request.expires_at is not None
    assert request.reached_mentor_at < request.remind_at < request.expires_at


def test_only_a_waiting_request_is_sent():
    deadlines = Deadlines(remind_at=MONDAY + timedelta(days=2), expires_at=MONDAY + timedelta(days=3))
    for status in [RequestStatus.pending, *FINAL]:
        with pytest.raises(TransitionRefused):
            a_request(status).send(MONDAY, deadlines)


ANSWERS = {
    RequestStatus.accepted: (lambda request: request.accept(UUID(int=99), MONDAY), RequestAccepted),
    RequestStatus.declined: (lambda request: request.decline(MONDAY), RequestDeclined),
    RequestStatus.expired: (lambda request: request.expire(MONDAY), RequestExpired),
}


@pytest.mark.parametrize("answered", list(ANSWERS))
def test_only_a_pending_request_is_answered_or_expires(answered):
    act, event_type = ANSWERS[answered]
    settled = a_request(RequestStatus.pending)
    assert isinstance(act(settled), event_type)
    assert settled.status is answered and settled.answered_at == MONDAY
    for status in [RequestStatus.waiting, *FINAL]:
        with pytest.raises(TransitionRefused):
            act(a_request(status))


def test_a_reminder_leaves_the_request_pending():
    request = a_request(RequestStatus.pending)
    reminded = request.remind(MONDAY)
    assert isinstance(reminded, RequestReminderDue) and reminded.expires_at == request.expires_at
    assert request.status is RequestStatus.pending and request.answered_at is None
    with pytest.raises(TransitionRefused):
        a_request(RequestStatus.waiting).remind(MONDAY)


@pytest.mark.parametrize("status", [RequestStatus.waiting, RequestStatus.pending])
def test_an_open_request_is_withdrawn_or_cancelled(status):
    withdrawn = a_request(status)
    assert isinstance(withdrawn.withdraw(MONDAY), RequestWithdrawn) and withdrawn.status is RequestStatus.withdrawn
    cancelled = a_request(status)
    event = cancelled.cancel(MONDAY, withdrawn_participant_id=cancelled.mentee_id)
    assert isinstance(event, RequestCancelled) and event.was_pending == (status is RequestStatus.pending)
    assert cancelled.status is RequestStatus.cancelled and cancelled.answered_at == MONDAY


@pytest.mark.parametrize("status", FINAL)
def test_a_final_status_is_final(status):
    request = a_request(status)
    for change in (
        lambda: request.withdraw(MONDAY),
        lambda: request.cancel(MONDAY, withdrawn_participant_id=request.mentee_id),
        lambda: request.decline(MONDAY),
        lambda: request.expire(MONDAY),
        lambda: request.remind(MONDAY),
    ):
        with pytest.raises(TransitionRefused):
            change()
    assert request.status is status


# A selection's transitions.


def test_a_selection_asks_its_mentors_in_rank_order_then_is_exhausted():
    first, second = UUID(int=21), UUID(int=22)
    selection, submitted = Selection.submit(
        UUID(int=20), mentee_id=UUID(int=9), cohort_id=COHORT, ranked_mentor_ids=[first, second], now=MONDAY
    )
    assert isinstance(submitted, PreferencesSubmitted) and selection.status is SelectionStatus.open
    with pytest.raises(TransitionRefused):
        selection.exhaust(MONDAY)  # a ranked mentor is still untried
    made = [selection.request_next(UUID(int=30 + n), MONDAY) for n in range(3)]
    assert [(m[0].mentor_id, m[0].rank, m[1].rank) for m in made if m] == [(first, 1, 1), (second, 2, 2)]
    assert made[2] is None and isinstance(made[0][1], RequestQueued)
    assert isinstance(selection.exhaust(MONDAY), PreferencesExhausted) and selection.status is SelectionStatus.exhausted
    assert selection.request_next(UUID(int=40), MONDAY) is None


def test_a_selection_is_paired_then_ended_or_closed():
    def selection(status: SelectionStatus) -> Selection:
        return Selection(UUID(int=20), UUID(int=9), COHORT, [UUID(int=21)], status, MONDAY)

    paired = selection(SelectionStatus.open)
    paired.pair()
    paired.pairing_ended()
    assert paired.status is SelectionStatus.ended
    for status in (SelectionStatus.open, SelectionStatus.paired):
        closing = selection(status)
        closing.close()
        assert closing.status is SelectionStatus.closed
    for status in (SelectionStatus.exhausted, SelectionStatus.ended, SelectionStatus.closed):
        with pytest.raises(TransitionRefused):
            selection(status).pair()
        with pytest.raises(TransitionRefused):
            selection(status).close()
    with pytest.raises(TransitionRefused):
        selection(SelectionStatus.open).pairing_ended()


# A mentor's desk.


def test_a_mentor_sees_one_request_at_a_time_oldest_first():
    world = World()
    mentor = world.participant(capacity=2)
    first, second, third = world.participant(), world.participant(), world.participant()
    for mentee in (first, second, third):
        world.submit(mentee, mentor)
    desk = world.desk(mentor)
    assert desk.pending is not None and desk.pending.mentee_id == first
    assert [r.mentee_id for r in desk.waiting] == [second, third]
    assert desk.deliver_next(MONDAY) is None  # one pending already
    world.lifecycle.decline(desk.pending)
    assert desk.pending.mentee_id == second and [r.mentee_id for r in desk.waiting] == [third]


def test_an_accept_is_refused_unless_pending_and_unless_a_place_is_free():
    world = World()
    mentor = world.participant(capacity=1)
    world.submit(world.participant(), mentor)
    desk = world.desk(mentor)
    pending = desk.pending
    assert pending is not None
    desk.capacity = 0  # as a capacity lowered would leave it, were the request not withdrawn
    with pytest.raises(MentorFull):
        world.lifecycle.accept(pending, mentee_person_id="someone")
    assert pending.status is RequestStatus.pending and desk.active_pairings == 0
    desk.capacity = 1
    world.lifecycle.accept(pending, mentee_person_id="someone")
    with pytest.raises(TransitionRefused):
        world.lifecycle.accept(pending, mentee_person_id="someone")
    with pytest.raises(TransitionRefused):
        world.lifecycle.decline(pending)


def test_only_a_full_mentor_is_followed_and_each_follower_is_told_once():
    world = World()
    mentor = world.participant(capacity=0)
    desk = world.desk(mentor)
    assert world.lifecycle.follow(mentor, UUID(int=5)) is True
    assert world.lifecycle.follow(mentor, UUID(int=3)) is True
    assert world.lifecycle.follow(mentor, UUID(int=5)) is False
    assert [type(e) for e in world.lifecycle.events] == [MentorFollowed, MentorFollowed]
    told = desk.tell_followers(MONDAY)
    assert [e.mentee_id for e in told] == [UUID(int=3), UUID(int=5)] and all(isinstance(e, MentorAvailable) for e in told)
    assert desk.followers == [] and desk.tell_followers(MONDAY) == []
    desk.capacity = 1
    with pytest.raises(TransitionRefused):
        desk.follow(UUID(int=5), MONDAY)


def test_a_pairing_ends_once():
    pairing = Pairing(UUID(int=1), UUID(int=2), UUID(int=3), UUID(int=4), UUID(int=5), COHORT, PairingStatus.active, MONDAY)
    ended = pairing.end(EndedBy.mentee, MONDAY, message_to_partner="thanks")
    assert isinstance(ended, PairingEnded) and not ended.participant_withdrew
    assert pairing.status is PairingStatus.ended and pairing.message_to_partner == "thanks"
    with pytest.raises(TransitionRefused):
        pairing.end(EndedBy.mentee, MONDAY)


# The cascades.


def test_a_next_choice_skips_a_full_mentor_and_one_who_left_and_ends_exhausted():
    world = World()
    full, left, free = world.participant(capacity=0), world.participant(capacity=1), world.participant(capacity=1)
    world.desk(left).withdraw(MONDAY)
    mentee = world.participant()
    selection = world.submit(mentee, full, left, free)
    assert world.events() == [
        ("PreferencesSubmitted", 0),
        ("RequestQueued", 1),
        ("RequestWithdrawn", 0),
        ("RequestQueued", 2),
        ("RequestCancelled", 0),
        ("RequestQueued", 3),
        ("RequestSent", 3),
    ]
    world.lifecycle.decline(world.desk(free).pending)
    assert world.events() == [("RequestDeclined", 0), ("PreferencesExhausted", 0)]
    assert [r.status for r in world.requests_of(selection)] == [
        RequestStatus.withdrawn,
        RequestStatus.cancelled,
        RequestStatus.declined,
    ]
    assert selection.status is SelectionStatus.exhausted


def test_a_decline_sends_the_mentors_next_waiting_request_then_the_mentees_next_choice():
    world = World()
    mentor, other = world.participant(capacity=1), world.participant(capacity=1)
    first, second = world.participant(), world.participant()
    world.submit(first, mentor, other)
    world.submit(second, mentor)
    world.events()
    world.lifecycle.decline(world.desk(mentor).pending)
    assert world.events() == [("RequestDeclined", 0), ("RequestSent", 1), ("RequestQueued", 2), ("RequestSent", 2)]
    assert world.desk(mentor).pending.mentee_id == second
    assert world.desk(other).pending.mentee_id == first


def test_an_accept_that_fills_the_mentor_withdraws_the_queue_and_those_mentees_move_on():
    world = World()
    mentor, other = world.participant(capacity=1), world.participant(capacity=1)
    first, second = world.participant(), world.participant()
    selection = world.submit(first, mentor)
    world.submit(second, mentor, other)
    world.events()
    pairing = world.lifecycle.accept(world.desk(mentor).pending, mentee_person_id="first")
    assert world.events() == [
        ("RequestAccepted", 0),
        ("PairingFormed", 0),
        ("RequestWithdrawn", 0),
        ("RequestQueued", 2),
        ("RequestSent", 2),
    ]
    assert selection.status is SelectionStatus.paired and pairing.status is PairingStatus.active
    assert world.desk(mentor).active_pairings == 1 and world.desk(mentor).open_requests == []


def test_an_accept_with_a_place_left_sends_the_next_waiting_request():
    world = World()
    mentor = world.participant(capacity=2)
    world.submit(world.participant(), mentor)
    world.submit(world.participant(), mentor)
    world.events()
    world.lifecycle.accept(world.desk(mentor).pending, mentee_person_id="x")
    assert world.events() == [("RequestAccepted", 0), ("PairingFormed", 0), ("RequestSent", 1)]


def test_a_capacity_lowered_to_full_withdraws_the_pending_request_too():
    world = World()
    mentor = world.participant(capacity=1)
    world.submit(world.participant(), mentor)
    world.submit(world.participant(), mentor)
    world.events()
    world.desk(mentor).capacity = 0
    world.lifecycle.capacity_changed(mentor, before=1)
    assert world.events() == [("RequestWithdrawn", 0), ("PreferencesExhausted", 0)] * 2


def test_a_capacity_raised_sends_the_next_waiting_request_and_tells_followers():
    world = World()
    mentor = world.participant(capacity=0)
    world.lifecycle.follow(mentor, UUID(int=5))
    world.events()
    world.desk(mentor).capacity = 1
    world.lifecycle.capacity_changed(mentor, before=0)
    assert world.events() == [("MentorAvailable", 0)]
    world.desk(mentor).capacity = 2
    world.lifecycle.capacity_changed(mentor, before=1)
    assert world.events() == []  # nobody follows any more
    world.desk(mentor).withdraw(MONDAY)
    world.desk(mentor).capacity = 3
    world.lifecycle.capacity_changed(mentor, before=2)
    assert world.events() == []  # a mentor who left opens no place


def test_ending_a_pairing_opens_a_place():
    world = World()
    mentor = world.participant(capacity=1)
    mentee, waiting = world.participant(), world.participant()
    selection = world.submit(mentee, mentor)
    pairing = world.lifecycle.accept(world.desk(mentor).pending, mentee_person_id="m")
    world.lifecycle.follow(mentor, waiting)
    world.events()
    world.lifecycle.end_pairing(pairing, EndedBy.mentee, message_to_partner="bye", note_to_programme_team=None)
    assert world.events() == [("PairingEnded", 0), ("MentorAvailable", 0)]
    assert selection.status is SelectionStatus.ended and world.desk(mentor).active_pairings == 0
    with pytest.raises(TransitionRefused):
        world.lifecycle.end_pairing(pairing, EndedBy.mentee, message_to_partner="again", note_to_programme_team=None)


def test_timers_remind_expire_or_are_moot():
    world = World()
    mentor, other = world.participant(capacity=1), world.participant(capacity=1)
    world.submit(world.participant(), mentor, other)
    request = world.desk(mentor).pending
    assert request is not None
    world.events()
    assert world.lifecycle.fire(TimerKind.reminder, request) is TimerOutcome.reminded
    assert world.lifecycle.fire(TimerKind.expiry, request) is TimerOutcome.expired
    assert world.events() == [("RequestReminderDue", 0), ("RequestExpired", 0), ("RequestQueued", 2), ("RequestSent", 2)]
    assert world.lifecycle.fire(TimerKind.reminder, request) is TimerOutcome.moot
    assert world.lifecycle.fire(TimerKind.expiry, request) is TimerOutcome.moot
    assert world.events() == []


def test_a_mentee_who_leaves_cancels_their_request_and_the_mentor_sees_the_next():
    world = World()
    mentor, later = world.participant(capacity=1), world.participant(capacity=1)
    leaver, waiting = world.participant(), world.participant()
    selection = world.submit(leaver, mentor, later)
    world.submit(waiting, mentor)
    world.events()
    world.lifecycle.participant_withdrew(leaver, MONDAY)
    assert world.events() == [("RequestCancelled", 0), ("RequestSent", 1)]  # no next choice: the leaver's list is closed
    assert selection.status is SelectionStatus.closed and world.desk(leaver).withdrawn
    assert world.desk(mentor).pending.mentee_id == waiting
    with pytest.raises(TransitionRefused):
        world.lifecycle.participant_withdrew(leaver, MONDAY)


def test_a_mentee_who_leaves_ends_their_pairing_and_the_mentor_has_a_place_again():
    world = World()
    mentor = world.participant(capacity=1)
    leaver, follower = world.participant(), world.participant()
    selection = world.submit(leaver, mentor)
    pairing = world.lifecycle.accept(world.desk(mentor).pending, mentee_person_id="leaver")
    world.lifecycle.follow(mentor, follower)
    world.events()
    world.lifecycle.participant_withdrew(leaver, MONDAY)
    assert world.events() == [("PairingEnded", 0), ("MentorAvailable", 0)]
    assert pairing.ended_by is EndedBy.mentee and pairing.participant_withdrew and pairing.message_to_partner is None
    assert selection.status is SelectionStatus.closed and world.desk(mentor).active_pairings == 0


def test_a_mentor_who_leaves_cancels_the_requests_for_them_and_those_mentees_move_on():
    world = World()
    leaver, other = world.participant(capacity=2), world.participant(capacity=1)
    paired_mentee, asking = world.participant(), world.participant()
    paired = world.submit(paired_mentee, leaver)
    pairing = world.lifecycle.accept(world.desk(leaver).pending, mentee_person_id="p")
    world.submit(asking, leaver, other)
    world.desk(leaver).followers.append(UUID(int=5))  # forgotten, not told: no place opened
    world.events()
    world.lifecycle.participant_withdrew(leaver, MONDAY)
    events = world.lifecycle.events
    assert [type(e) for e in events] == [RequestCancelled, RequestQueued, RequestSent, PairingEnded]
    assert events[0].withdrawn_participant_id == leaver and events[3].ended_by is EndedBy.mentor
    assert paired.status is SelectionStatus.ended and pairing.participant_withdrew
    assert world.desk(leaver).followers == [] and world.desk(leaver).active_pairings == 0


def test_a_pairing_formed_names_the_partners_and_the_programme():
    world = World()
    mentor = world.participant(capacity=1)
    world.submit(world.participant(), mentor)
    world.events()
    world.lifecycle.accept(world.desk(mentor).pending, mentee_person_id="amina")
    formed = world.lifecycle.events[1]
    assert isinstance(formed, PairingFormed)
    assert (formed.mentee_person_id, formed.mentor_person_id, formed.programme_id) == (
        "amina",
        world.desk(mentor).person_id,
        PROGRAMME,
    )


# Who may do what.


def test_the_mentee_ends_a_pairing_and_in_coaching_the_mentor_too():
    assert ending_side(caller_is_mentee=True, caller_is_mentor=False, programme_kind="mentoring") is EndedBy.mentee
    assert ending_side(caller_is_mentee=False, caller_is_mentor=True, programme_kind="coaching") is EndedBy.mentor
    with pytest.raises(MentorMayNotEnd):
        ending_side(caller_is_mentee=False, caller_is_mentor=True, programme_kind="mentoring")
    with pytest.raises(MentorMayNotEnd):
        ending_side(caller_is_mentee=False, caller_is_mentor=True, programme_kind=None)
    with pytest.raises(NotAPartner):
        ending_side(caller_is_mentee=False, caller_is_mentor=False, programme_kind="coaching")


def test_each_text_of_an_ended_pairing_has_its_readers():
    partner = Readers(partner=True, ended_it=False, programme_team=False)
    ender = Readers(partner=True, ended_it=True, programme_team=False)
    team = Readers(partner=False, ended_it=False, programme_team=True)
    stranger = Readers(partner=False, ended_it=False, programme_team=False)
    assert (partner.may_read_message, partner.may_read_note) == (True, False)
    assert (ender.may_read_message, ender.may_read_note) == (True, True)
    assert (team.may_read_message, team.may_read_note) == (False, True)
    assert not stranger.may_see_pairing and team.may_see_pairing


def person(*roles: str, cohort_id: UUID = COHORT, **flags: bool) -> Participant:
    return Participant(id=UUID(int=50), cohort_id=cohort_id, roles=list(roles), **flags)


def test_a_mentee_submits_while_in_the_cohort_and_admitted():
    assert mentee_violation(person("mentee")) is None and mentee_violation(person("client")) is None
    assert mentee_violation(person("mentor")).rule == "has_mentee_role"
    assert mentee_violation(person("mentee", withdrawn=True)).rule == "still_in_cohort"
    assert mentee_violation(person("mentee", waitlisted=True)).rule == "admitted"


def test_a_mentee_follows_a_full_mentor_of_their_cohort():
    mentor_id = UUID(int=50)
    assert follow_violation(person("mentor"), mentor_id, cohort_id=COHORT, mentor_full=True) is None
    for mentor in (
        None,
        person("mentee"),
        person("coach"),
        person("mentor", cohort_id=UUID(int=3)),
        person("mentor", withdrawn=True),
    ):
        assert follow_violation(mentor, mentor_id, cohort_id=COHORT, mentor_full=True).rule == "mentor_in_cohort"
    assert follow_violation(person("mentor"), mentor_id, cohort_id=COHORT, mentor_full=False).rule == "mentor_full"


def test_an_assigned_pair_is_skipped_for_the_first_reason_that_holds():
    mentee, mentor = person("mentee"), person("coach", coach_approved=True)

    def skip(**overrides: object) -> SkipReason | None:
        facts: dict[str, object] = {
            "mentee": mentee,
            "mentor": mentor,
            "already_sent": False,
            "mentee_paired": False,
            "open_selection": False,
        } | overrides
        return assigned_pair_skip(cohort_id=COHORT, **facts)

    assert skip() is None
    assert skip(mentee=person("mentee", waitlisted=True), mentor=None) is SkipReason.mentee_unknown
    assert skip(mentor=person("coach")) is SkipReason.mentor_unknown
    assert skip(already_sent=True, mentee_paired=True) is SkipReason.already_sent
    assert skip(mentee_paired=True, open_selection=True) is SkipReason.mentee_paired
    assert skip(open_selection=True) is SkipReason.open_selection


# The cohort's end (registration's CohortEnded).


def test_the_cohorts_end_completes_pairings_lapses_requests_and_gives_no_place_back():
    world = World()
    mentor, full, other = world.participant(capacity=2), world.participant(capacity=1), world.participant(capacity=1)
    paired, pending, queued, exhausted = (world.participant() for _ in range(4))
    world.submit(paired, full)
    world.lifecycle.accept(world.desk(full).pending, mentee_person_id="paired")  # type: ignore[arg-type]
    world.lifecycle.follow(full, exhausted)
    world.submit(pending, mentor, other)
    world.submit(queued, other)
    world.submit(exhausted, mentor)  # waits behind the pending request at `mentor`
    world.events()
    open_selections = [s for s in world.selections.values() if s.status is SelectionStatus.open]
    assert len(open_selections) == 3

    world.lifecycle.cohort_ended(COHORT)

    events = world.lifecycle.events
    lapsed = [e for e in events if isinstance(e, RequestLapsed)]
    assert [(e.mentee_id, e.was_pending) for e in lapsed] == [(pending, True), (queued, True), (exhausted, False)]
    (completed,) = [e for e in events if isinstance(e, PairingCompleted)]
    assert completed.mentee_id == paired and completed.mentor_id == full
    assert completed.reason is CompletedBecause.programme_ended
    assert len(events) == 4  # nothing else: no next choice, no request sent, no follower told, no exhaustion
    assert all(r.status in (RequestStatus.lapsed, RequestStatus.accepted) for r in world.requests.values())
    assert all(r.answered_at is not None for r in world.requests.values())
    assert all(s.status is SelectionStatus.closed for s in open_selections)
    (pairing,) = world.pairings.values()
    assert pairing.status is PairingStatus.ended and pairing.ended_by is None and pairing.ended_at == completed.completed_at
    assert world.desk(full).active_pairings == 0 and world.desk(full).followers == []


def test_a_completed_or_lapsed_one_is_final():
    pairing = Pairing(UUID(int=1), UUID(int=2), UUID(int=3), UUID(int=4), UUID(int=5), COHORT, PairingStatus.active, MONDAY)
    pairing.complete(CompletedBecause.programme_ended, MONDAY)
    with pytest.raises(TransitionRefused):
        pairing.complete(CompletedBecause.programme_ended, MONDAY)
    with pytest.raises(TransitionRefused):
        pairing.end(EndedBy.mentee, MONDAY, message_to_partner="too late")
    request = a_request(RequestStatus.pending)
    assert request.lapse(MONDAY).was_pending and request.status is RequestStatus.lapsed
    with pytest.raises(TransitionRefused):
        request.lapse(MONDAY)
    assert world_fires_moot(request)


def world_fires_moot(request: Request) -> bool:
    """A timer of a lapsed request is moot: nothing happens."""
    world = World()
    return world.lifecycle.fire(TimerKind.expiry, request) is TimerOutcome.moot and world.lifecycle.events == []


def test_after_the_end_nothing_new_is_allowed_and_the_refusal_names_the_rule():
    assert cohort_ended_violation(None) is None
    violation = cohort_ended_violation(MONDAY)
    assert violation is not None and (violation.field, violation.rule) == ("cohort_id", "cohort_ended")
    assert MONDAY.isoformat() in violation.message
