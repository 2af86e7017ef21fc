"""The request lifecycle's objects: a mentee's selection, a request, a mentor's desk and a pairing.

Plain objects loaded from pairing's rows. Each method checks that its transition is allowed
(else `TransitionRefused`) and returns the events it produces; the use case saves the objects
and records the events in one transaction.

    waiting ─▶ pending (RequestSent) ─▶ accepted | declined | expired
       └──▶ withdrawn (the mentor is full)       (either) ──▶ withdrawn | cancelled
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from pairing.domain.deadlines import Deadlines, request_deadlines
from together_events.contracts import roles
from together_events.contracts.pairing import (
    EndedBy,
    Engagement,
    MentorAvailable,
    MentorFollowed,
    PairingEnded,
    PairingFormed,
    PreferencesExhausted,
    PreferencesSubmitted,
    RequestAccepted,
    RequestCancelled,
    RequestDeclined,
    RequestExpired,
    RequestQueued,
    RequestReminderDue,
    RequestSent,
    RequestWithdrawn,
    WithdrawalReason,
)


class RequestStatus(StrEnum):
    waiting = "waiting"  # queued behind the mentor's pending request, or until they have a place
    pending = "pending"  # reached the mentor: the one request they see
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    withdrawn = "withdrawn"  # the mentor became full before answering
    cancelled = "cancelled"  # its mentee or its mentor left the cohort


OPEN = frozenset({RequestStatus.waiting, RequestStatus.pending})  # every other status is final


class SelectionStatus(StrEnum):
    open = "open"  # its ranked mentors are being tried
    paired = "paired"
    exhausted = "exhausted"  # every ranked mentor was tried without a pairing
    ended = "ended"  # its pairing ended: the mentee is back in selection
    closed = "closed"  # the mentee left the cohort


class PairingStatus(StrEnum):
    active = "active"
    ended = "ended"


class TimerKind(StrEnum):
    reminder = "reminder"
    expiry = "expiry"


class TimerOutcome(StrEnum):
    reminded = "reminded"
    expired = "expired"
    moot = "moot"  # the request was no longer pending: answered (or otherwise settled) first


class TransitionRefused(Exception):
    """The object's status does not allow the change (the use case answers 409 when it is the object asked for)."""

    def __init__(self, thing: str, subject: UUID, status: str, change: str) -> None:
        super().__init__(f"the {thing} {subject} is {status}: it cannot be {change}")
        self.subject, self.status = subject, status


class MentorFull(Exception):
    """An accept would give the mentor more partners than their capacity."""


@dataclass
class Request:
    id: UUID
    selection_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    cohort_id: UUID
    rank: int
    status: RequestStatus
    created_at: datetime
    engagement: Engagement | None = None  # its selection's, carried by RequestSent
    reached_mentor_at: datetime | None = None
    remind_at: datetime | None = None
    expires_at: datetime | None = None
    answered_at: datetime | None = None  # set with every final status

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def _move(self, change: str, to: RequestStatus, *allowed_from: RequestStatus) -> None:
        if self.status not in allowed_from:
            raise TransitionRefused("request", self.id, self.status, change)
        self.status = to

    def _settle(self, change: str, to: RequestStatus, now: datetime, *allowed_from: RequestStatus) -> None:
        self._move(change, to, *allowed_from)
        self.answered_at = now

    def send(self, now: datetime, deadlines: Deadlines) -> RequestSent:
        """The request reaches its mentor; the reminder and the expiry are set from now."""
        self._move("sent", RequestStatus.pending, RequestStatus.waiting)
        self.reached_mentor_at, self.remind_at, self.expires_at = now, deadlines.remind_at, deadlines.expires_at
        return RequestSent(
            request_id=self.id,
            selection_id=self.selection_id,
            mentee_id=self.mentee_id,
            mentor_id=self.mentor_id,
            cohort_id=self.cohort_id,
            rank=self.rank,
            reached_mentor_at=now,
            remind_at=deadlines.remind_at,
            expires_at=deadlines.expires_at,
            engagement=self.engagement,
        )

    def accept(self, pairing_id: UUID, now: datetime) -> RequestAccepted:
        self._settle("accepted", RequestStatus.accepted, now, RequestStatus.pending)
        return RequestAccepted(
            request_id=self.id, mentee_id=self.mentee_id, mentor_id=self.mentor_id, pairing_id=pairing_id, accepted_at=now
        )

    def decline(self, now: datetime) -> RequestDeclined:
        self._settle("declined", RequestStatus.declined, now, RequestStatus.pending)
        return RequestDeclined(request_id=self.id, mentee_id=self.mentee_id, mentor_id=self.mentor_id, declined_at=now)

    def remind(self, now: datetime) -> RequestReminderDue:
        """The mentor has not answered yet; the request stays pending."""
        if self.status is not RequestStatus.pending or self.expires_at is None:
            raise TransitionRefused("request", self.id, self.status, "reminded")
        return RequestReminderDue(
            request_id=self.id, mentee_id=self.mentee_id, mentor_id=self.mentor_id, expires_at=self.expires_at, reminded_at=now
        )

    def expire(self, now: datetime) -> RequestExpired:
        self._settle("expired", RequestStatus.expired, now, RequestStatus.pending)
        return RequestExpired(request_id=self.id, mentee_id=self.mentee_id, mentor_id=self.mentor_id, expired_at=now)

    def withdraw(self, now: datetime) -> RequestWithdrawn:
        """The mentor is full: the request will never be answered (a pending one could only be refused)."""
        self._settle("withdrawn", RequestStatus.withdrawn, now, *OPEN)
        return RequestWithdrawn(
            request_id=self.id,
            mentee_id=self.mentee_id,
            mentor_id=self.mentor_id,
            reason=WithdrawalReason.mentor_full,
            withdrawn_at=now,
        )

    def cancel(self, now: datetime, *, withdrawn_participant_id: UUID) -> RequestCancelled:
        """Its mentee or its mentor left the cohort."""
        was_pending = self.status is RequestStatus.pending
        self._settle("cancelled", RequestStatus.cancelled, now, *OPEN)
        return RequestCancelled(
            request_id=self.id,
            selection_id=self.selection_id,
            mentee_id=self.mentee_id,
            mentor_id=self.mentor_id,
            cohort_id=self.cohort_id,
            withdrawn_participant_id=withdrawn_participant_id,
            was_pending=was_pending,
            cancelled_at=now,
        )


@dataclass
class Selection:
    """A mentee's ranked mentors, tried one after another: `tried` requests were made so far."""

    id: UUID
    mentee_id: UUID
    cohort_id: UUID
    ranked_mentor_ids: list[UUID]
    status: SelectionStatus
    submitted_at: datetime
    tried: int = 0
    engagement: Engagement | None = None
    assignment_id: UUID | None = None  # it came from an accepted assignment

    @classmethod
    def submit(
        cls,
        selection_id: UUID,
        *,
        mentee_id: UUID,
        cohort_id: UUID,
        ranked_mentor_ids: list[UUID],
        now: datetime,
        engagement: Engagement | None = None,
        assignment_id: UUID | None = None,
    ) -> tuple[Selection, PreferencesSubmitted]:
        selection = cls(
            id=selection_id,
            mentee_id=mentee_id,
            cohort_id=cohort_id,
            ranked_mentor_ids=list(ranked_mentor_ids),
            status=SelectionStatus.open,
            submitted_at=now,
            engagement=engagement,
            assignment_id=assignment_id,
        )
        submitted = PreferencesSubmitted(
            selection_id=selection_id,
            mentee_id=mentee_id,
            cohort_id=cohort_id,
            ranked_mentor_ids=selection.ranked_mentor_ids,
            engagement=engagement,
            assignment_id=assignment_id,
        )
        return selection, submitted

    @property
    def untried(self) -> list[UUID]:
        """The mentors a next choice may still ask, in rank order."""
        return self.ranked_mentor_ids[self.tried :] if self.status is SelectionStatus.open else []

    def request_next(self, request_id: UUID, now: datetime) -> tuple[Request, RequestQueued] | None:
        """Make the request to the next ranked mentor; None when none is left (or the selection is over)."""
        if not self.untried:
            return None
        mentor_id, self.tried = self.untried[0], self.tried + 1
        request = Request(
            id=request_id,
            selection_id=self.id,
            mentee_id=self.mentee_id,
            mentor_id=mentor_id,
            cohort_id=self.cohort_id,
            rank=self.tried,
            status=RequestStatus.waiting,
            created_at=now,
            engagement=self.engagement,
        )
        queued = RequestQueued(
            request_id=request_id,
            selection_id=self.id,
            mentee_id=self.mentee_id,
            mentor_id=mentor_id,
            cohort_id=self.cohort_id,
            rank=request.rank,
            queued_at=now,
        )
        return request, queued

    def _move(self, change: str, to: SelectionStatus, *allowed_from: SelectionStatus) -> None:
        if self.status not in allowed_from:
            raise TransitionRefused("selection", self.id, self.status, change)
        self.status = to

    def exhaust(self, now: datetime) -> PreferencesExhausted:
        if self.untried:
            raise TransitionRefused("selection", self.id, self.status, "exhausted while a ranked mentor is untried")
        self._move("exhausted", SelectionStatus.exhausted, SelectionStatus.open)
        return PreferencesExhausted(selection_id=self.id, mentee_id=self.mentee_id, cohort_id=self.cohort_id, exhausted_at=now)

    def pair(self) -> None:
        self._move("paired", SelectionStatus.paired, SelectionStatus.open)

    def close(self) -> None:
        """The mentee left the cohort: no next choice is made, and a pairing it led to is over."""
        self._move("closed", SelectionStatus.closed, SelectionStatus.open, SelectionStatus.paired)

    def pairing_ended(self) -> None:
        """The mentee is back in selection."""
        self._move("ended", SelectionStatus.ended, SelectionStatus.paired)


@dataclass
class Pairing:
    id: UUID
    request_id: UUID
    selection_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    cohort_id: UUID
    status: PairingStatus
    formed_at: datetime
    ended_at: datetime | None = None
    ended_by: EndedBy | None = None
    participant_withdrew: bool = False
    message_to_partner: str | None = None  # free text stays in pairing's database, never in an event
    note_to_programme_team: str | None = None

    def end(
        self,
        ended_by: EndedBy,
        now: datetime,
        *,
        message_to_partner: str | None = None,
        note_to_programme_team: str | None = None,
        participant_withdrew: bool = False,
    ) -> PairingEnded:
        if self.status is not PairingStatus.active:
            raise TransitionRefused("pairing", self.id, self.status, "ended")
        self.status, self.ended_at, self.ended_by = PairingStatus.ended, now, ended_by
        self.participant_withdrew = participant_withdrew
        self.message_to_partner, self.note_to_programme_team = message_to_partner, note_to_programme_team
        return PairingEnded(
            pairing_id=self.id,
            mentee_id=self.mentee_id,
            mentor_id=self.mentor_id,
            cohort_id=self.cohort_id,
            ended_by=ended_by,
            ended_at=now,
            participant_withdrew=participant_withdrew,
        )


@dataclass
class MentorDesk:
    """What a mentor (or coach) has before them: their places, the one request they see, the queue
    behind it and the mentees waiting to hear of a free place. Every participant has one; a mentee's
    capacity is 0."""

    mentor_id: UUID
    cohort_id: UUID
    person_id: str
    programme_id: UUID
    capacity: int
    active_pairings: int
    time_zone: str
    days_off: frozenset[date] = frozenset()  # the cohort's holidays in the mentor's time zone
    withdrawn_at: datetime | None = None
    requests: list[Request] = field(default_factory=list)  # the open ones, as loaded or made
    followers: list[UUID] = field(default_factory=list)  # mentees to tell when a place opens

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_full(self) -> bool:
        return roles.is_full(self.capacity, self.active_pairings)

    @property
    def open_requests(self) -> list[Request]:
        """Oldest first, as the database orders them (created_at, then id)."""
        return sorted((r for r in self.requests if r.is_open), key=lambda r: (r.created_at, r.id))

    @property
    def pending(self) -> Request | None:
        return next((r for r in self.requests if r.status is RequestStatus.pending), None)

    @property
    def waiting(self) -> list[Request]:
        return [r for r in self.open_requests if r.status is RequestStatus.waiting]

    def take(self, request: Request) -> None:
        """A request for this mentor joins the queue; it reaches them when they have a place and see no other."""
        if request.mentor_id != self.mentor_id or request.status is not RequestStatus.waiting:
            raise TransitionRefused("request", request.id, request.status, f"queued for mentor {self.mentor_id}")
        if self.is_full or self.withdrawn:
            raise TransitionRefused("mentor", self.mentor_id, "full" if self.is_full else "withdrawn", "asked")
        self.requests.append(request)

    def deliver_next(self, now: datetime) -> RequestSent | None:
        """With a free place and no pending request, the oldest waiting request reaches the mentor."""
        waiting = self.waiting
        if self.is_full or self.pending is not None or not waiting:
            return None
        return waiting[0].send(now, request_deadlines(now, self.time_zone, self.days_off))

    def accept(
        self, request: Request, pairing_id: UUID, *, mentee_person_id: str, now: datetime
    ) -> tuple[Pairing, RequestAccepted, PairingFormed]:
        if request.mentor_id != self.mentor_id or request.status is not RequestStatus.pending:
            raise TransitionRefused("request", request.id, request.status, "accepted")
        if self.is_full:
            raise MentorFull(f"mentor {self.mentor_id} has no free place")
        accepted = request.accept(pairing_id, now)
        self.active_pairings += 1
        pairing = Pairing(
            id=pairing_id,
            request_id=request.id,
            selection_id=request.selection_id,
            mentee_id=request.mentee_id,
            mentor_id=self.mentor_id,
            cohort_id=request.cohort_id,
            status=PairingStatus.active,
            formed_at=now,
        )
        formed = PairingFormed(
            pairing_id=pairing_id,
            request_id=request.id,
            mentee_id=request.mentee_id,
            mentor_id=self.mentor_id,
            cohort_id=request.cohort_id,
            programme_id=self.programme_id,
            mentee_person_id=mentee_person_id,
            mentor_person_id=self.person_id,
            formed_at=now,
        )
        return pairing, accepted, formed

    def pairing_ended(self) -> None:
        if self.active_pairings <= 0:
            raise TransitionRefused("mentor", self.mentor_id, "without pairings", "left by a partner")
        self.active_pairings -= 1

    def follow(self, mentee_id: UUID, now: datetime) -> MentorFollowed | None:
        """The mentee will be told when a place opens; None if they already follow. Only a full mentor is followed."""
        if not self.is_full:
            raise TransitionRefused("mentor", self.mentor_id, "not full", "followed")
        if mentee_id in self.followers:
            return None
        self.followers.append(mentee_id)
        return MentorFollowed(mentor_id=self.mentor_id, mentee_id=mentee_id, followed_at=now)

    def tell_followers(self, now: datetime) -> list[MentorAvailable]:
        """A place opened: each follower is told once (in mentee id order, as text), then forgotten."""
        told = sorted(self.followers, key=str)
        self.followers = []
        return [MentorAvailable(mentor_id=self.mentor_id, mentee_id=mentee_id, available_at=now) for mentee_id in told]

    def withdraw(self, withdrawn_at: datetime) -> None:
        """The mentor left the cohort; their followers are forgotten, not told (no place opened)."""
        if self.withdrawn:
            raise TransitionRefused("participant", self.mentor_id, "withdrawn", "withdrawn again")
        self.withdrawn_at = withdrawn_at
        self.followers = []
