"""What the end of a cohort and its outcomes tell whom (pure), beside `messages.py`.

The rule book: a cohort ends on its end date; the pairings still open complete (not an early end),
the requests still open lapse (no next choice is tried), both partners are asked for the final
assessment and the post-programme survey (the pre-programme survey was asked at registration), and
the programme team reads the cohort's outcomes. A request for an outcome and its reminder ask for
one thing: once it is answered they are moot, whichever came first (`actions.settled_for_good`).
"""

from __future__ import annotations

from notifications.domain import actions
from notifications.domain.messages import Message
from notifications.domain.team import OUTCOMES_REPORT_READY
from together_contracts.pairing import PairingCompleted, RequestLapsed
from together_contracts.registration import CohortEnded
from together_contracts.scheduling import OutcomeReminderDue, OutcomeRequested
from together_events.registry import Event

# The events of a cohort's end that someone must hear about; `outcome_messages` says who and what.
OUTCOME_EVENTS: tuple[type[Event], ...] = (PairingCompleted, RequestLapsed, OutcomeRequested, OutcomeReminderDue, CohortEnded)

# The participants' kinds, also in `messages.KINDS` (e-mail can be turned off for each); the team's is in `team.py`.
OUTCOME_KINDS: tuple[str, ...] = ("pairing_completed", "request_lapsed", "outcome_requested", "outcome_reminder")


def outcome_messages(event: Event) -> list[Message]:
    match event:
        case PairingCompleted():  # news: thanks, and the outcomes they will be asked for (OutcomeRequested asks)
            return [
                Message(
                    person,
                    "pairing_completed",
                    {"pairing_id": str(event.pairing_id), "is_mentee": person == event.mentee_id, "reason": event.reason.value},
                    {"partner": partner},
                )
                for person, partner in ((event.mentee_id, event.mentor_id), (event.mentor_id, event.mentee_id))
            ]
        case RequestLapsed():
            lapsed = [Message(event.mentee_id, "request_lapsed", {"is_mentee": True}, {"partner": event.mentor_id})]
            if event.was_pending:  # the mentor had it in hand; a request still waiting they never saw
                lapsed.append(Message(event.mentor_id, "request_lapsed", {"is_mentee": False}, {"partner": event.mentee_id}))
            return lapsed
        case OutcomeRequested() | OutcomeReminderDue():
            kind = "outcome_requested" if isinstance(event, OutcomeRequested) else "outcome_reminder"
            params = {
                "outcome": event.kind.value,
                "participant_id": str(event.participant_id),
                "pairing_id": str(event.pairing_id) if event.pairing_id is not None else None,
            }
            action = actions.give_outcome(event.kind, event.participant_id, event.cohort_id, event.pairing_id)
            return [Message(event.participant_id, kind, params, action=action)]
        case CohortEnded():  # to the programme's team mailbox: the report is ready
            params = {
                "cohort_id": str(event.cohort_id),
                "ends_on": event.ends_on.isoformat(),
                "ended_at": event.ended_at.isoformat(),
            }
            return [
                Message(
                    event.programme_id, OUTCOMES_REPORT_READY, params, programme_id=event.programme_id, for_programme_team=True
                )
            ]
    return []
