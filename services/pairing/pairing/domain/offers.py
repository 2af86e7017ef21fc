"""Offers: the pairs not asked for by the mentee alone. In reverse mentoring either side may propose, so a mentor
proposes to a mentee (a proposal, the mentee answers); in on-the-job learning the supervisor nominates the mentor
for a mentee (a nomination, the mentor answers). Rules free of I/O.

An offer is checked where it is made by the code a request is checked with (`preferences.preference_violations`:
the mentee's state, the mentor's place, grade or its inversion, a shared meeting language, the eligibility of
both), waits for its receiver's answer before a request's deadlines (`deadlines.request_deadlines`, in the
receiver's time zone and off their days off), and once accepted forms a pairing as an accepted request does
(`lifecycle.Lifecycle.accept_offer`).

    pending (OfferMade) ─▶ accepted | declined | expired | withdrawn
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pairing.domain.deadlines import Deadlines
from pairing.domain.model import TimerKind, TimerOutcome, TransitionRefused
from pairing.domain.pair_rules import Programme, Side
from pairing.domain.preferences import MentorView, Participant, mentee_violation, preference_violations
from together_contracts.pairing_kinds import (
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferKind,
    OfferMade,
    OfferReminderDue,
    OfferWithdrawalReason,
    OfferWithdrawn,
)
from together_contracts.registration import ProgrammeKind
from together_contracts.words import DEFAULT_LANGUAGE, Words
from together_events.registry import Event
from together_servicekit.errors import Violation

# The one kind of programme each offer belongs to.
PROGRAMME_OF = {OfferKind.proposal: ProgrammeKind.reverse_mentoring, OfferKind.nomination: ProgrammeKind.on_the_job_learning}


class OfferStatus(StrEnum):
    pending = "pending"  # with its receiver, awaiting the answer
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    withdrawn = "withdrawn"  # the mentor became full first, or a side left the cohort


@dataclass
class Offer:
    id: UUID
    kind: OfferKind
    cohort_id: UUID
    mentee_id: UUID
    mentor_id: UUID
    status: OfferStatus
    made_at: datetime
    remind_at: datetime
    expires_at: datetime
    answered_at: datetime | None = None  # set with every final status
    pairing_id: UUID | None = None  # the pairing its accept formed

    @property
    def receiver_id(self) -> UUID:
        """Who answers: the mentee a mentor proposed to, or the mentor the supervisor nominated."""
        return self.mentee_id if self.kind is OfferKind.proposal else self.mentor_id

    @classmethod
    def make(
        cls,
        offer_id: UUID,
        kind: OfferKind,
        *,
        cohort_id: UUID,
        mentee_id: UUID,
        mentor_id: UUID,
        now: datetime,
        deadlines: Deadlines,
    ) -> tuple[Offer, OfferMade]:
        """The offer reaches its receiver at once (`deadlines` set from now in the receiver's zone)."""
        offer = cls(
            id=offer_id,
            kind=kind,
            cohort_id=cohort_id,
            mentee_id=mentee_id,
            mentor_id=mentor_id,
            status=OfferStatus.pending,
            made_at=now,
            remind_at=deadlines.remind_at,
            expires_at=deadlines.expires_at,
        )
        made = OfferMade(
            offer_id=offer_id,
            kind=kind,
            mentee_id=mentee_id,
            mentor_id=mentor_id,
            cohort_id=cohort_id,
            receiver_id=offer.receiver_id,
            made_at=now,
            remind_at=deadlines.remind_at,
            expires_at=deadlines.expires_at,
        )
        return offer, made

    @property
    def _ids(self) -> dict[str, object]:
        return {"offer_id": self.id, "kind": self.kind, "mentee_id": self.mentee_id, "mentor_id": self.mentor_id}

    def _settle(self, change: str, to: OfferStatus, now: datetime) -> None:
        if self.status is not OfferStatus.pending:
            raise TransitionRefused("offer", self.id, self.status, change)
        self.status, self.answered_at = to, now

    def accept(self, pairing_id: UUID, now: datetime) -> OfferAccepted:
        self._settle("accepted", OfferStatus.accepted, now)
        self.pairing_id = pairing_id
        return OfferAccepted(**self._ids, pairing_id=pairing_id, accepted_at=now)

    def decline(self, now: datetime) -> OfferDeclined:
        self._settle("declined", OfferStatus.declined, now)
        return OfferDeclined(**self._ids, declined_at=now)

    def withdraw(self, reason: OfferWithdrawalReason, now: datetime) -> OfferWithdrawn:
        self._settle("withdrawn", OfferStatus.withdrawn, now)
        return OfferWithdrawn(**self._ids, reason=reason, withdrawn_at=now)

    def fire(self, kind: TimerKind, now: datetime) -> tuple[TimerOutcome, Event | None]:
        """A reminder or expiry fell due. Moot unless the offer still awaits its answer."""
        if self.status is not OfferStatus.pending:
            return TimerOutcome.moot, None
        if kind is TimerKind.reminder:
            return TimerOutcome.reminded, OfferReminderDue(
                **self._ids, receiver_id=self.receiver_id, expires_at=self.expires_at, reminded_at=now
            )
        self._settle("expired", OfferStatus.expired, now)
        return TimerOutcome.expired, OfferExpired(**self._ids, expired_at=now)


def programme_kind_violation(kind: OfferKind, programme_kind: str | None, language: str = DEFAULT_LANGUAGE) -> Violation | None:
    """A proposal belongs to reverse mentoring, a nomination to on-the-job learning (409 elsewhere)."""
    expected = PROGRAMME_OF[kind]
    if programme_kind == expected:
        return None
    actual = programme_kind or ProgrammeKind.mentoring  # a cohort pairing has not heard of counts as mentoring
    said = Words(
        f"a {kind} is made in a {expected} programme; this cohort's programme is {actual}",
        f"une offre ({kind}) se fait dans un programme {expected} ; le programme de cette cohorte est {actual}",
        f"una oferta ({kind}) se hace en un programa {expected}; el programa de esta cohorte es {actual}",
    )
    return Violation("cohort_id", f"{kind}_in_{expected}", said.in_(language))


def offer_violations(
    mentee: Participant,
    mentor: MentorView | None,
    mentor_id: UUID,
    *,
    already_paired: bool,
    has_open_selection: bool,
    has_open_offer: bool,
    programme: Programme | None = None,
    mentee_side: Side | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> list[Violation]:
    """Every reason the offer is refused, all at once: the mentee's state, an offer already with them, and what a
    direct request from this mentee to this mentor would meet (the mentor's place and the hard rules of the pair)."""
    violations = [v for v in [mentee_violation(mentee, language)] if v is not None]
    if has_open_offer:
        said = Words(
            "the mentee already has an offer awaiting an answer",
            "la personne mentorée a déjà une offre en attente de réponse",
            "la persona mentorada ya tiene una oferta pendiente de respuesta",
        )
        violations.append(Violation("mentee_id", "one_open_offer", said.in_(language)))
    as_request = preference_violations(
        mentee.id,
        [mentor_id],
        {mentor_id: mentor} if mentor is not None else {},
        already_paired=already_paired,
        has_open_selection=has_open_selection,
        programme=programme,
        mentee=mentee_side,
        language=language,
    )
    # The request's list position ("mentor_ids.0") is the offer's one mentor.
    return violations + [Violation("mentor_id" if v.field == "mentor_ids.0" else v.field, v.rule, v.message) for v in as_request]


def refused(violations: list[Violation], language: str = DEFAULT_LANGUAGE) -> str:
    prefix = Words("offer refused: ", "offre refusée : ", "oferta rechazada: ").in_(language)
    return prefix + "; ".join(v.message for v in violations)


def accept_conflicts(
    offer: Offer,
    *,
    mentee_in_cohort: bool,
    mentor_in_cohort: bool,
    mentor_full: bool,
    mentee_paired: bool,
    mentee_has_open_selection: bool,
) -> list[Violation]:
    """Why an accept cannot form the pairing now (409), though the offer was fair when made: what changed since."""
    out = []
    if offer.status is not OfferStatus.pending:
        out.append(Violation("offer_id", "pending", f"the offer is {offer.status}, not awaiting an answer"))
        return out
    if not mentee_in_cohort or not mentor_in_cohort:
        out.append(Violation("offer_id", "still_in_cohort", "a side of the offer left the cohort"))
    if mentor_full:
        out.append(Violation("mentor_id", "free_capacity", f"mentor {offer.mentor_id} has no free place"))
    if mentee_paired:
        out.append(Violation("mentee_id", "not_paired", "the mentee already has a mentor"))
    if mentee_has_open_selection:
        out.append(Violation("mentee_id", "one_open_selection", "the mentee's own preferences are being tried"))
    return out
