"""What a message asks its reader to do, and the later facts that make it moot (pure).

A message that asks for something names the state that settles it: `Message.action`, one of the keys
below (a request answered, the mentee's choice made, a session booked, ...). A fact that settles it
comes later, often on another partition or topic (`settlements`). If it arrives before the message's
mail has gone out, the mail does not ask for it any more: a message that is nothing but its action
is not mailed (`DROPPED_WHEN_SETTLED`; its words in the feed say there is nothing to do), one that
also tells news is mailed without the action (its templates leave it out when `settled`).

A fact settles only messages about EARLIER facts: a new request or a new pairing asks again. But an
outcome (a survey, a final assessment) is asked once: its answer settles the request and the reminder
for good, whichever fact came first (`settled_for_good`).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from together_contracts.pairing import (
    PairingCompleted,
    PairingEnded,
    PairingFormed,
    PreferencesSubmitted,
    RequestAccepted,
    RequestCancelled,
    RequestDeclined,
    RequestExpired,
    RequestLapsed,
    RequestWithdrawn,
)
from together_contracts.registration import CoachCredentialSubmitted
from together_contracts.scheduling import (
    FeedbackGiven,
    FinalAssessmentGiven,
    OutcomeKind,
    SeriesScheduled,
    SessionScheduled,
    SurveyAnswered,
    SurveyKind,
)
from together_events.registry import Event


# The keys: one per thing a reader may be asked to do.
def answer(request_id: UUID) -> str:
    """The mentor accepts or declines the request."""
    return f"answer:{request_id}"


def choose(mentee_id: UUID) -> str:
    """The mentee chooses mentors (new preferences, suggestions to look at)."""
    return f"choose:{mentee_id}"


def ask_mentor(mentee_id: UUID) -> str:
    """The mentee asks a mentor who has a free place."""
    return f"ask-mentor:{mentee_id}"


def book(pairing_id: UUID) -> str:
    """The partners book a session."""
    return f"book:{pairing_id}"


def rate(session_id: UUID, participant_id: UUID) -> str:
    """A partner rates a session."""
    return f"rate:{session_id}:{participant_id}"


def resubmit(participant_id: UUID) -> str:
    """A coach submits another credential."""
    return f"resubmit:{participant_id}"


# The outcomes a participant is asked for once (`outcomes.py`): an answer given at any time settles the
# request and its reminder, even one given before the reminder's fact (a revision changes nothing).
_OUTCOME = "outcome:"


def answer_survey(participant_id: UUID, cohort_id: UUID, survey: SurveyKind) -> str:
    """A participant answers the cohort's pre- or post-programme survey."""
    return f"{_OUTCOME}survey:{participant_id}:{cohort_id}:{survey.value}"


def assess(pairing_id: UUID, participant_id: UUID) -> str:
    """A partner gives the pairing's final assessment."""
    return f"{_OUTCOME}assess:{pairing_id}:{participant_id}"


def give_outcome(kind: OutcomeKind, participant_id: UUID, cohort_id: UUID, pairing_id: UUID | None) -> str:
    """The key of what an `OutcomeRequested` / `OutcomeReminderDue` asks for."""
    if kind == OutcomeKind.final_assessment:
        if pairing_id is None:
            raise ValueError("a final assessment is asked about a pairing")
        return assess(pairing_id, participant_id)
    survey = SurveyKind.pre if kind == OutcomeKind.pre_survey else SurveyKind.post
    return answer_survey(participant_id, cohort_id, survey)


def settled_for_good(action_key: str) -> bool:
    """True: whatever the time of the settling fact, before or after the message's, the action is moot
    (an outcome is asked once: answered is answered). False: only a later fact settles it."""
    return action_key.startswith(_OUTCOME)


@dataclass(frozen=True)
class Settlement:
    key: str
    why: str  # in the skipped delivery's reason: "moot: <why>"


# The events that settle something, as `settlements` reads them.
SETTLING_EVENTS: tuple[type[Event], ...] = (
    RequestAccepted,
    RequestDeclined,
    RequestExpired,
    RequestWithdrawn,
    RequestCancelled,
    PreferencesSubmitted,
    PairingFormed,
    PairingEnded,
    SessionScheduled,
    SeriesScheduled,
    FeedbackGiven,
    CoachCredentialSubmitted,
    PairingCompleted,
    RequestLapsed,
    SurveyAnswered,
    FinalAssessmentGiven,
)


def settlements(event: Event) -> list[Settlement]:
    """What the event settles."""
    match event:
        case RequestAccepted() | RequestDeclined() | RequestExpired() | RequestWithdrawn() | RequestCancelled():
            ended = {
                RequestAccepted: "accepted",
                RequestDeclined: "declined",
                RequestExpired: "expired",
                RequestWithdrawn: "withdrawn",
                RequestCancelled: "cancelled",
            }[type(event)]
            return [Settlement(answer(event.request_id), f"the request was {ended}")]
        case PreferencesSubmitted():
            return [Settlement(choose(event.mentee_id), "the mentee submitted preferences")]
        case PairingFormed():
            paired = "the mentee was paired"
            return [Settlement(choose(event.mentee_id), paired), Settlement(ask_mentor(event.mentee_id), paired)]
        case SessionScheduled() | SeriesScheduled():
            return [Settlement(book(event.pairing_id), "a session was booked")]
        case PairingEnded():
            return [Settlement(book(event.pairing_id), "the pairing ended")]
        case PairingCompleted():
            return [Settlement(book(event.pairing_id), "the pairing ended with the programme")]
        case RequestLapsed():  # the cohort ended: nobody answers it, and the mentee has no one left to ask
            ended = "the request lapsed: the cohort ended"
            return [
                Settlement(key, ended) for key in (answer(event.request_id), choose(event.mentee_id), ask_mentor(event.mentee_id))
            ]
        case SurveyAnswered():
            return [Settlement(answer_survey(event.participant_id, event.cohort_id, event.survey), "the survey was answered")]
        case FinalAssessmentGiven():
            return [Settlement(assess(event.pairing_id, event.participant_id), "the final assessment was given")]
        case FeedbackGiven():
            return [Settlement(rate(event.session_id, event.participant_id), "the session was rated")]
        case CoachCredentialSubmitted():
            return [Settlement(resubmit(event.participant_id), "another credential was submitted")]
    return []


# Messages that are nothing but their action: once it is settled there is nothing to mail.
DROPPED_WHEN_SETTLED: frozenset[str] = frozenset(
    {
        "request_received",
        "request_reminder",
        "request_deadline_moved",
        "preferences_exhausted",
        "mentor_available",
        "feedback_requested",
        "next_session_reminder",
        "outcome_requested",
        "outcome_reminder",
    }
)


def mailed_when_settled(kind: str) -> bool:
    """False: the mail is dropped once its action is settled; True: it goes, reworded without the action."""
    return kind not in DROPPED_WHEN_SETTLED
