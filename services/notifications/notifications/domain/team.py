"""What the programme team is told (pure), and why.

The rule book: the programme team reads each cohort's outcomes once it ended (the report's address is
mailed). A pairing that ends early is reported to the programme team, with the note the
participant left for them. The note is free text, which never travels in an event (ADR 0008): the
team's message says which pairing ended, who was in it and why (a reason code), and where the team
reads the note (pairing's `GET /pairings/{id}`, which shows it to the programme team).

Team messages go to the programme team's mailbox (`ProgrammeRules.team_mailbox`, from registration's
programme events), never to a participant: their recipient is the programme.
"""

from __future__ import annotations

from together_contracts.pairing import PairingEnded

# The kinds of message the programme team receives.
PAIRING_ENDED_EARLY = "pairing_ended_early"
# A cohort ended: its outcomes report is ready (`outcomes.py`).
OUTCOMES_REPORT_READY = "outcomes_report_ready"
TEAM_KINDS: tuple[str, ...] = (PAIRING_ENDED_EARLY, OUTCOMES_REPORT_READY)

# Why a pairing ended before the programme's end: who ended it, or whose departure did.
EARLY_ENDING_REASONS: tuple[str, ...] = ("mentee_ended", "mentor_ended", "mentee_withdrew", "mentor_withdrew")


def early_ending_reason(event: PairingEnded) -> str:
    """The reason code. Every PairingEnded v1 is an early end: a partner ended the pairing ("request a new
    mentor"; in coaching either side) or left the cohort. An end at the programme's end is another fact."""
    side = event.ended_by.value
    return f"{side}_withdrew" if event.participant_withdrew else f"{side}_ended"
