"""One change to a cohort's requests and everything it sets off, on objects already loaded.

A change at one mentor reaches others: a decline sends the mentee's next choice to the next ranked
mentor, an accept that fills a mentor withdraws the requests queued for them and each of those
mentees moves on. `Lifecycle` holds the desks and selections such a change may reach (the use case
loads and locks them first, `repository.Unit`) and applies the change and its cascade, collecting
the events in the order they happen.

The invariants (`tests/test_lifecycle_properties.py` checks them over random sequences of changes): an
accept never gives a mentor more active pairings than their capacity; a mentor sees at most one request
at a time, and has a place for it; each request ends in exactly one final status.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, MutableMapping
from datetime import datetime
from uuid import UUID

from pairing.domain.model import (
    MentorDesk,
    Pairing,
    PairingStatus,
    Request,
    RequestStatus,
    Selection,
    SelectionStatus,
    TimerKind,
    TimerOutcome,
)
from together_contracts import pairing_v2
from together_contracts.matching import AssignedPair
from together_contracts.pairing import CompletedBecause, EndedBy, Engagement
from together_contracts.pairing_v2 import AssignedPairSkipped, SkipReason
from together_contracts.working_days import DeadlinesMovedBecause
from together_events.registry import Event


class Lifecycle:
    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        desks: MutableMapping[UUID, MentorDesk | None],
        selections: MutableMapping[UUID, Selection],
        requests: MutableMapping[UUID, Request],
        pairings: MutableMapping[UUID, Pairing],
        new_id: Callable[[], UUID] = uuid.uuid4,
    ) -> None:
        """`clock` tells the time of each step; `desks[id]` is None for a participant pairing does not know."""
        self.now = clock
        self.desks, self.selections, self.requests, self.pairings = desks, selections, requests, pairings
        self._new_id = new_id
        self.events: list[Event] = []

    def _emit(self, *events: Event) -> None:
        self.events.extend(events)

    def desk(self, mentor_id: UUID) -> MentorDesk:
        desk = self.desks[mentor_id]
        if desk is None:
            raise KeyError(f"participant {mentor_id} is unknown")
        return desk

    # The changes.

    def submit(
        self,
        *,
        mentee_id: UUID,
        cohort_id: UUID,
        ranked_mentor_ids: list[UUID],
        engagement: Engagement | None = None,
        assignment_id: UUID | None = None,
    ) -> Selection:
        """New preferences (the rules for them are `preferences.py`'s): the first choice is asked at once."""
        selection, submitted = Selection.submit(
            self._new_id(),
            mentee_id=mentee_id,
            cohort_id=cohort_id,
            ranked_mentor_ids=ranked_mentor_ids,
            now=self.now(),
            engagement=engagement,
            assignment_id=assignment_id,
        )
        self.selections[selection.id] = selection
        self._emit(submitted)
        self._next_choice(selection)
        return selection

    def accept(self, request: Request, *, mentee_person_id: str) -> Pairing:
        """The mentor accepts: a pairing forms. Full now, the requests still queued for them are withdrawn
        and those mentees move on; with a place left, the oldest waiting request reaches them."""
        desk = self.desk(request.mentor_id)
        pairing, accepted, formed = desk.accept(request, self._new_id(), mentee_person_id=mentee_person_id, now=self.now())
        self.selections[request.selection_id].pair()
        self.pairings[pairing.id] = pairing
        self._emit(accepted, formed)
        if desk.is_full:
            self._release(desk)
        else:
            self._deliver_next(desk)
        return pairing

    def decline(self, request: Request) -> None:
        self._emit(request.decline(self.now()))
        self._answered(request)

    def fire(self, kind: TimerKind, request: Request) -> TimerOutcome:
        """A reminder or expiry fell due. Moot unless the request still awaits its answer."""
        if request.status is not RequestStatus.pending:
            return TimerOutcome.moot
        if kind is TimerKind.reminder:
            self._emit(request.remind(self.now()))
            return TimerOutcome.reminded
        self._emit(request.expire(self.now()))
        self._answered(request)
        return TimerOutcome.expired

    def follow(self, mentor_id: UUID, mentee_id: UUID) -> bool:
        """The mentee asks to be told when the (full) mentor has a place again; False if they already asked."""
        followed = self.desk(mentor_id).follow(mentee_id, self.now())
        if followed is not None:
            self._emit(followed)
        return followed is not None

    def skip_assigned_pair(self, assignment_id: UUID, cohort_id: UUID, pair: AssignedPair, reason: SkipReason) -> None:
        """`AssignedPairSkipped` v2, and v1 beside it while the two overlap, when v1 knows the reason."""
        skipped = AssignedPairSkipped(
            assignment_id=assignment_id,
            cohort_id=cohort_id,
            mentee_id=pair.mentee_id,
            mentor_id=pair.mentor_id,
            reason=reason,
            skipped_at=self.now(),
        )
        self._emit(skipped)
        if (as_v1 := pairing_v2.as_v1(skipped)) is not None:
            self._emit(as_v1)

    def capacity_changed(self, mentor_id: UUID, *, before: int) -> None:
        """The desk's capacity was just restated (registration's events). Raised with a place free: as after
        an end. Lowered so that the mentor is full: requests not yet accepted are withdrawn. Pairings beyond
        the new capacity stay; no new one forms until the mentor has fewer."""
        desk = self.desk(mentor_id)
        if desk.withdrawn or desk.capacity == before:
            return
        if desk.capacity > before and not desk.is_full:
            self._place_opened(desk)
        elif desk.capacity < before and desk.is_full:
            self._release(desk)

    def days_off_changed(self, mentor_id: UUID, reason: DeadlinesMovedBecause) -> None:
        """The desk's days off were just restated (the team's holidays at the mentor's station changed, or the
        programme's official holidays were switched): the request awaiting their answer gets its deadlines again."""
        moved = self.desk(mentor_id).days_off_changed(reason, self.now())
        if moved is not None:
            self._emit(moved)

    def end_pairing(
        self, pairing: Pairing, ended_by: EndedBy, *, message_to_partner: str, note_to_programme_team: str | None
    ) -> None:
        """ "Request a new mentor": the mentee is back in selection, the mentor has a place again."""
        ended = pairing.end(
            ended_by, self.now(), message_to_partner=message_to_partner, note_to_programme_team=note_to_programme_team
        )
        desk = self.desk(pairing.mentor_id)
        desk.pairing_ended()
        self.selections[pairing.selection_id].pairing_ended()
        self._emit(ended)
        self._place_opened(desk)

    def participant_withdrew(self, participant_id: UUID, withdrawn_at: datetime) -> None:
        """The participant left the cohort. As a mentee: their requests are cancelled, their selections
        closed, their pairings end (each mentor has a place again). As a mentor: the requests for them are
        cancelled and those mentees move on; their pairings end, those mentees are back in selection."""
        self.desk(participant_id).withdraw(withdrawn_at)
        for request in self._open_requests(lambda r: r.mentee_id == participant_id):
            was_pending = request.status is RequestStatus.pending
            self._emit(request.cancel(self.now(), withdrawn_participant_id=participant_id))
            if was_pending:
                self._deliver_next(self.desk(request.mentor_id))
        for selection in self.selections.values():
            if selection.mentee_id == participant_id and selection.status is SelectionStatus.open:
                selection.close()
        for pairing in self._active_pairings(lambda p: p.mentee_id == participant_id):
            self._end_by_withdrawal(pairing, EndedBy.mentee)
            self.selections[pairing.selection_id].close()
            self._place_opened(self.desk(pairing.mentor_id))
        for request in self._open_requests(lambda r: r.mentor_id == participant_id):
            self._emit(request.cancel(self.now(), withdrawn_participant_id=participant_id))
            self._next_choice(self.selections[request.selection_id])
        for pairing in self._active_pairings(lambda p: p.mentor_id == participant_id):
            self._end_by_withdrawal(pairing, EndedBy.mentor)
            self.selections[pairing.selection_id].pairing_ended()  # the mentee is back in selection

    def cohort_ended(self, cohort_id: UUID) -> None:
        """The cohort reached its end date: its open requests lapse (none is answered now, no next choice is
        tried), its open selections close and its active pairings complete. No place is given back: no request
        reaches a mentor and no follower is told (the followers are forgotten), the cohort is over."""
        for request in self._open_requests(lambda r: r.cohort_id == cohort_id):
            self._emit(request.lapse(self.now()))
        for selection in sorted(self.selections.values(), key=lambda s: (s.submitted_at, s.id)):
            if selection.cohort_id == cohort_id and selection.status is SelectionStatus.open:
                selection.close()
        for pairing in self._active_pairings(lambda p: p.cohort_id == cohort_id):
            self._emit(pairing.complete(CompletedBecause.programme_ended, self.now()))
            self.desk(pairing.mentor_id).pairing_ended()  # the count of active pairings; no place opens with it
        for desk in self.desks.values():
            if desk is not None and desk.cohort_id == cohort_id:
                desk.followers = []

    # The cascade's steps.

    def _answered(self, request: Request) -> None:
        """After a decline or an expiry: the mentor's oldest waiting request reaches them, then the mentee's next choice is made."""
        self._deliver_next(self.desk(request.mentor_id))
        self._next_choice(self.selections[request.selection_id])

    def _next_choice(self, selection: Selection) -> None:
        """Ask the mentee's next ranked mentor: one who left is cancelled, a full (or unknown) one withdrawn,
        and the one after is tried; with none left the mentee is asked for new preferences."""
        if selection.status is not SelectionStatus.open:
            return
        while (made := selection.request_next(self._new_id(), self.now())) is not None:
            request, queued = made
            self.requests[request.id] = request
            self._emit(queued)
            desk = self.desks[request.mentor_id]
            if desk is not None and desk.withdrawn:
                self._emit(request.cancel(self.now(), withdrawn_participant_id=request.mentor_id))
            elif desk is not None and not desk.is_full:
                desk.take(request)
                self._deliver_next(desk)
                return
            else:
                self._emit(request.withdraw(self.now()))
        self._emit(selection.exhaust(self.now()))

    def _deliver_next(self, desk: MentorDesk) -> None:
        if (sent := desk.deliver_next(self.now())) is not None:
            self._emit(sent)

    def _place_opened(self, desk: MentorDesk) -> None:
        """The next waiting request reaches the mentor, and every mentee following them is told, once."""
        self._deliver_next(desk)
        self._emit(*desk.tell_followers(self.now()))

    def _release(self, desk: MentorDesk) -> None:
        """The mentor is full: the requests still open for them never will be answered."""
        for request in desk.open_requests:
            self._emit(request.withdraw(self.now()))
            self._next_choice(self.selections[request.selection_id])

    def _end_by_withdrawal(self, pairing: Pairing, ended_by: EndedBy) -> None:
        """`ended_by`'s side left; nobody wrote a message."""
        self._emit(pairing.end(ended_by, self.now(), participant_withdrew=True))
        self.desk(pairing.mentor_id).pairing_ended()

    def _open_requests(self, mine: Callable[[Request], bool]) -> list[Request]:
        return sorted((r for r in self.requests.values() if r.is_open and mine(r)), key=lambda r: (r.created_at, r.id))

    def _active_pairings(self, mine: Callable[[Pairing], bool]) -> Iterable[Pairing]:
        active = [p for p in self.pairings.values() if p.status is PairingStatus.active and mine(p)]
        return sorted(active, key=lambda p: (p.formed_at, p.id))
