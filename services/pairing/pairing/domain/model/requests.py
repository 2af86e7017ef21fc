"""A mentee's selection and a request: their statuses, the transitions each allows, and the events they produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pairing.domain.deadlines import Deadlines
from together_contracts.pairing import (
    Engagement,
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
    WithdrawalReason,
)
from together_contracts.working_days import DeadlinesMovedBecause, RequestDeadlinesMoved


class RequestStatus(StrEnum):
    waiting = "waiting"  # queued behind the mentor's pending request, or until they have a place
    pending = "pending"  # reached the mentor: the one request they see
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    withdrawn = "withdrawn"  # the mentor became full before answering
    cancelled = "cancelled"  # its mentee or its mentor left the cohort
    lapsed = "lapsed"  # the cohort ended before it was answered


OPEN = frozenset({RequestStatus.waiting, RequestStatus.pending})  # every other status is final


class SelectionStatus(StrEnum):
    open = "open"  # its ranked mentors are being tried
    paired = "paired"
    exhausted = "exhausted"  # every ranked mentor was tried without a pairing
    ended = "ended"  # its pairing ended: the mentee is back in selection
    closed = "closed"  # the mentee left the cohort, or the cohort ended while its mentors were tried


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
    # Its reminder fired (the timer's record, not a column of its own): a sent reminder stays when deadlines move.
    reminder_sent: bool = field(default=False, compare=False)

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

    def move_deadlines(self, deadlines: Deadlines, reason: DeadlinesMovedBecause, now: datetime) -> RequestDeadlinesMoved | None:
        """The mentor's days off changed while the request awaits their answer; None if neither deadline moved."""
        if self.status is not RequestStatus.pending or self.remind_at is None or self.expires_at is None:
            raise TransitionRefused("request", self.id, self.status, "given new deadlines")
        if (deadlines.remind_at, deadlines.expires_at) == (self.remind_at, self.expires_at):
            return None
        moved = RequestDeadlinesMoved(
            request_id=self.id,
            selection_id=self.selection_id,
            mentee_id=self.mentee_id,
            mentor_id=self.mentor_id,
            cohort_id=self.cohort_id,
            remind_at=deadlines.remind_at,
            expires_at=deadlines.expires_at,
            previous_remind_at=self.remind_at,
            previous_expires_at=self.expires_at,
            reason=reason,
            moved_at=now,
        )
        self.remind_at, self.expires_at = deadlines.remind_at, deadlines.expires_at
        return moved

    def remind(self, now: datetime) -> RequestReminderDue:
        """The mentor has not answered yet; the request stays pending."""
        if self.status is not RequestStatus.pending or self.expires_at is None:
            raise TransitionRefused("request", self.id, self.status, "reminded")
        self.reminder_sent = True
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

    def lapse(self, now: datetime) -> RequestLapsed:
        """The cohort ended: the request will never be answered."""
        was_pending = self.status is RequestStatus.pending
        self._settle("lapsed", RequestStatus.lapsed, now, *OPEN)
        return RequestLapsed(
            request_id=self.id,
            selection_id=self.selection_id,
            mentee_id=self.mentee_id,
            mentor_id=self.mentor_id,
            cohort_id=self.cohort_id,
            was_pending=was_pending,
            lapsed_at=now,
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
        """The mentee left the cohort (or, open, the cohort ended): no next choice is made, and a pairing it led to is over."""
        self._move("closed", SelectionStatus.closed, SelectionStatus.open, SelectionStatus.paired)

    def pairing_ended(self) -> None:
        """The mentee is back in selection."""
        self._move("ended", SelectionStatus.ended, SelectionStatus.paired)
