"""The request lifecycle's invariants over random sequences of changes (hypothesis), on plain objects.

Mentees submit ranked lists; mentors accept, decline and leave their requests to be reminded and expire;
participants withdraw; capacities change; pairings end; the cohort ends (after which only timers fire and
participants withdraw: the use cases refuse the rest). After every step:
- a mentor never sees two requests at once, and one they see always has a free place for it;
- an accept never gives a mentor more active pairings than their capacity (a capacity lowered later
  leaves pairings beyond it, and no new one forms);
- a request reaches one final status, once, and keeps it; each final event is recorded once;
- the desks' counts of active pairings equal the pairings;
- once the cohort ended, no request is open, no selection is open and no pairing is active.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pairing.domain.lifecycle import Lifecycle
from pairing.domain.model import (
    OPEN,
    MentorDesk,
    Pairing,
    PairingStatus,
    Request,
    RequestStatus,
    Selection,
    SelectionStatus,
    TimerKind,
)
from together_contracts.pairing import (
    EndedBy,
    RequestAccepted,
    RequestCancelled,
    RequestDeclined,
    RequestExpired,
    RequestLapsed,
    RequestWithdrawn,
)

START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
COHORT = UUID(int=1)
MENTORS, MENTEES = 4, 6
FINAL_EVENTS = (RequestAccepted, RequestDeclined, RequestExpired, RequestWithdrawn, RequestCancelled, RequestLapsed)


class RequestLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.desks: dict[UUID, MentorDesk | None] = {}
        self.selections: dict[UUID, Selection] = {}
        self.requests: dict[UUID, Request] = {}
        self.pairings: dict[UUID, Pairing] = {}
        ids, ticks = itertools.count(100), itertools.count()
        self.lifecycle = Lifecycle(
            lambda: START + timedelta(minutes=next(ticks)),
            desks=self.desks,
            selections=self.selections,
            requests=self.requests,
            pairings=self.pairings,
            new_id=lambda: UUID(int=next(ids)),
        )
        self.mentors = [self._desk(UUID(int=10 + n), capacity=1 + n % 2) for n in range(MENTORS)]
        self.mentees = [self._desk(UUID(int=50 + n), capacity=0) for n in range(MENTEES)]
        self.final_status: dict[UUID, RequestStatus] = {}
        self.final_events: Counter[UUID] = Counter()
        self.capacity_before_step: dict[UUID, tuple[int, int]] = {}
        self.ended = False  # the cohort ended: nothing new happens (409 cohort_ended, or nothing moves)

    def _desk(self, participant_id: UUID, capacity: int) -> UUID:
        self.desks[participant_id] = MentorDesk(
            mentor_id=participant_id,
            cohort_id=COHORT,
            person_id=str(participant_id),
            programme_id=UUID(int=2),
            capacity=capacity,
            active_pairings=0,
            time_zone="Asia/Tokyo",
        )
        return participant_id

    def desk(self, participant_id: UUID) -> MentorDesk:
        return self.lifecycle.desk(participant_id)

    def pending(self) -> list[Request]:
        return sorted((r for r in self.requests.values() if r.status is RequestStatus.pending), key=lambda r: r.id)

    def active(self) -> list[Pairing]:
        return sorted((p for p in self.pairings.values() if p.status is PairingStatus.active), key=lambda p: p.id)

    def _may_submit(self, mentee_id: UUID) -> bool:
        """As the preference rules allow: still in the cohort, not paired, nothing being tried."""
        return (
            not self.desk(mentee_id).withdrawn
            and not any(p.mentee_id == mentee_id for p in self.active())
            and not any(s.mentee_id == mentee_id and s.status is SelectionStatus.open for s in self.selections.values())
        )

    def _before(self) -> None:
        self.capacity_before_step = {m: (self.desk(m).capacity, self.desk(m).active_pairings) for m in self.mentors}

    # The changes.

    @rule(data=st.data())
    def submit(self, data: st.DataObject) -> None:
        mentee_id = data.draw(st.sampled_from(self.mentees))
        if self.ended or not self._may_submit(mentee_id):
            return
        ranked = data.draw(st.lists(st.sampled_from(self.mentors), min_size=1, max_size=MENTORS, unique=True))
        self._before()
        self.lifecycle.submit(mentee_id=mentee_id, cohort_id=COHORT, ranked_mentor_ids=ranked)

    @precondition(lambda self: self.pending() and not self.ended)
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        request = data.draw(st.sampled_from(self.pending()))
        self._before()
        self.lifecycle.accept(request, mentee_person_id=str(request.mentee_id))

    @precondition(lambda self: self.pending() and not self.ended)
    @rule(data=st.data())
    def decline(self, data: st.DataObject) -> None:
        self._before()
        self.lifecycle.decline(data.draw(st.sampled_from(self.pending())))

    @rule(data=st.data(), kind=st.sampled_from(TimerKind))
    def a_timer_fires(self, data: st.DataObject, kind: TimerKind) -> None:
        """Of any request: one no longer pending is moot."""
        if not self.requests:
            return
        request = data.draw(st.sampled_from(sorted(self.requests.values(), key=lambda r: r.id)))
        self._before()
        self.lifecycle.fire(kind, request)

    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        participant_id = data.draw(st.sampled_from(self.mentors + self.mentees))
        if self.desk(participant_id).withdrawn:
            return
        self._before()
        self.lifecycle.participant_withdrew(participant_id, START)

    @precondition(lambda self: not self.ended)
    @rule(data=st.data(), capacity=st.integers(min_value=0, max_value=3))
    def change_capacity(self, data: st.DataObject, capacity: int) -> None:
        mentor_id = data.draw(st.sampled_from(self.mentors))
        self._before()
        before, self.desk(mentor_id).capacity = self.desk(mentor_id).capacity, capacity
        self.lifecycle.capacity_changed(mentor_id, before=before)

    @precondition(lambda self: self.active() and not self.ended)
    @rule(data=st.data())
    def end_pairing(self, data: st.DataObject) -> None:
        pairing = data.draw(st.sampled_from(self.active()))
        self._before()
        self.lifecycle.end_pairing(pairing, EndedBy.mentee, message_to_partner="thank you", note_to_programme_team=None)

    @precondition(lambda self: not self.ended)
    @rule()
    def the_cohort_ends(self) -> None:
        self._before()
        self.lifecycle.cohort_ended(COHORT)
        self.ended = True

    # The invariants.

    @invariant()
    def a_mentor_sees_one_request_at_a_time_and_has_a_place_for_it(self) -> None:
        seen = Counter(r.mentor_id for r in self.pending())
        assert all(count == 1 for count in seen.values()), seen
        for mentor_id in seen:
            assert not self.desk(mentor_id).is_full and not self.desk(mentor_id).withdrawn

    @invariant()
    def no_accept_overfills_a_mentor(self) -> None:
        for mentor_id, (capacity, active_before) in self.capacity_before_step.items():
            desk = self.desk(mentor_id)
            if desk.active_pairings > active_before:
                assert desk.active_pairings <= capacity

    @invariant()
    def a_request_ends_in_exactly_one_final_status(self) -> None:
        for event in self.lifecycle.events:
            if isinstance(event, FINAL_EVENTS):
                self.final_events[event.request_id] += 1
        self.lifecycle.events.clear()
        assert all(count == 1 for count in self.final_events.values()), self.final_events
        for request in self.requests.values():
            if request.status in OPEN:
                assert request.id not in self.final_status and request.answered_at is None
            else:
                assert self.final_status.setdefault(request.id, request.status) is request.status
                assert self.final_events[request.id] == 1 and request.answered_at is not None

    @invariant()
    def the_desks_count_the_active_pairings(self) -> None:
        counted = Counter(p.mentor_id for p in self.active())
        for mentor_id in self.mentors:
            assert self.desk(mentor_id).active_pairings == counted[mentor_id]

    @invariant()
    def a_mentee_has_one_request_open_at_most_and_waits_only_behind_a_pending_one(self) -> None:
        open_by_mentee = Counter(r.mentee_id for r in self.requests.values() if r.status in OPEN)
        assert all(count == 1 for count in open_by_mentee.values()), open_by_mentee
        pending_at = {r.mentor_id for r in self.pending()}
        for request in self.requests.values():
            if request.status is RequestStatus.waiting:
                assert request.mentor_id in pending_at

    @invariant()
    def after_the_end_nothing_is_open(self) -> None:
        if self.ended:
            assert not any(r.status in OPEN for r in self.requests.values())
            assert not any(s.status is SelectionStatus.open for s in self.selections.values())
            assert not self.active() and not any(self.desk(m).followers for m in self.mentors)


RequestLifecycle.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
test_the_request_lifecycle_keeps_its_invariants = RequestLifecycle.TestCase
