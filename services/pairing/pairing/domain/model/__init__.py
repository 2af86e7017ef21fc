"""The request lifecycle's objects: a mentee's selection, a request, a mentor's desk and a pairing.

Plain objects loaded from pairing's rows. Each method checks that its transition is allowed
(else `TransitionRefused`) and returns the events it produces; the use case saves the objects
and records the events in one transaction.

    waiting ─▶ pending (RequestSent) ─▶ accepted | declined | expired
       └──▶ withdrawn (the mentor is full)       (either) ──▶ withdrawn | cancelled
"""

from pairing.domain.model.desks import MentorDesk, Pairing
from pairing.domain.model.requests import (
    OPEN,
    MentorFull,
    PairingStatus,
    Request,
    RequestStatus,
    Selection,
    SelectionStatus,
    TimerKind,
    TimerOutcome,
    TransitionRefused,
)

__all__ = [
    "OPEN",
    "MentorDesk",
    "MentorFull",
    "Pairing",
    "PairingStatus",
    "Request",
    "RequestStatus",
    "Selection",
    "SelectionStatus",
    "TimerKind",
    "TimerOutcome",
    "TransitionRefused",
]
