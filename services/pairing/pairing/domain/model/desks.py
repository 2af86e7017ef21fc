"""A mentor's desk (places, the one request they see, the queue, the followers) and a pairing."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from pairing.domain.deadlines import Deadlines, moved_deadlines, request_deadlines
from pairing.domain.model.requests import (
    MentorFull,
    PairingStatus,
    Request,
    RequestStatus,
    TransitionRefused,
)
from together_contracts import roles
from together_contracts.pairing import (
    CompletedBecause,
    EndedBy,
    MentorAvailable,
    MentorFollowed,
    PairingCompleted,
    PairingEnded,
    PairingFormed,
    RequestAccepted,
    RequestSent,
)
from together_contracts.working_days import DeadlinesMovedBecause, RequestDeadlinesMoved


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
    completed_because: CompletedBecause | None = None  # it ran to its end (ended, not early): why

    def complete(self, reason: CompletedBecause, now: datetime) -> PairingCompleted:
        """The pairing ran to its end (the cohort ended): ended, and not early; nobody ended it."""
        if self.status is not PairingStatus.active:
            raise TransitionRefused("pairing", self.id, self.status, "completed")
        self.status, self.ended_at, self.completed_because = PairingStatus.ended, now, reason
        return PairingCompleted(
            pairing_id=self.id,
            mentee_id=self.mentee_id,
            mentor_id=self.mentor_id,
            cohort_id=self.cohort_id,
            reason=reason,
            completed_at=now,
        )

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
    days_off: Container[date] = frozenset()  # besides weekends: their duty station's holidays (`calendar.DaysOff`)
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

    def days_off_changed(self, reason: DeadlinesMovedBecause, now: datetime) -> RequestDeadlinesMoved | None:
        """The mentor's days off were just restated (`days_off`): the request awaiting their answer gets its
        deadlines again (a reminder sent stays); later requests get theirs as they reach the mentor."""
        request = self.pending
        if request is None or request.reached_mentor_at is None or request.remind_at is None or request.expires_at is None:
            return None
        deadlines = moved_deadlines(
            request.reached_mentor_at,
            self.time_zone,
            self.days_off,
            current=Deadlines(remind_at=request.remind_at, expires_at=request.expires_at),
            reminder_sent=request.reminder_sent,
            now=now,
        )
        return request.move_deadlines(deadlines, reason, now)

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
