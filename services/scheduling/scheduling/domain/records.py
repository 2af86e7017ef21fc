"""The partners' records: what each must satisfy. Who may read or write them is the use cases' and
queries' concern (ADR 0005); here are the rules of their content.

Only the rating of feedback travels in an event (`FeedbackGiven`); no note, comment, agreement,
assessment or survey answer ever does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from scheduling.domain.pairing import Pairing
from scheduling.domain.sessions import Session, SessionStatus
from together_contracts.scheduling import FeedbackGiven
from together_servicekit.errors import Conflict, DomainError, Violation


def feedback_given(session: Session, pairing: Pairing, *, giver: UUID, rating: int, now: datetime) -> FeedbackGiven:
    """A partner rates a session once it is completed (once each: the store refuses a second)."""
    if session.status is not SessionStatus.completed:
        raise Conflict(f"feedback is given on a completed session; this one is {session.status}")
    return FeedbackGiven(session_id=session.id, pairing_id=pairing.id, participant_id=giver, rating=rating, given_at=now)


def check_assessment(agreed: Sequence[str] | None, rated: Sequence[str]) -> None:
    """The final assessment rates exactly the agreement's skills and goals, each once, all at once."""
    if agreed is None:
        raise Conflict("write the mentorship agreement first: the assessment rates its skills and goals")
    problems = [
        Violation("ratings", "same_as_agreement", f"'{item}' is in the agreement but not rated")
        for item in agreed
        if item not in rated
    ]
    problems += [
        Violation("ratings", "same_as_agreement", f"'{item}' is not a skill or goal of the agreement")
        for item in rated
        if item not in agreed
    ]
    problems += [
        Violation("ratings", "once_each", f"'{item}' is rated more than once")
        for item in sorted(set(rated))
        if rated.count(item) > 1
    ]
    if problems:
        raise DomainError("the assessment rates exactly the agreement's skills and goals", problems, code="invalid_input")


def check_survey(kind: str, satisfaction: int | None) -> None:
    """Satisfaction with the programme is asked after it, in the post-programme survey only."""
    if kind == "pre" and satisfaction is not None:
        raise DomainError(
            "satisfaction is asked after the programme",
            [Violation("satisfaction", "post_only", "satisfaction is asked in the post-programme survey only")],
            code="invalid_input",
        )
