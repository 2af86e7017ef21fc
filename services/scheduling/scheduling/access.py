"""Who may act on a pairing's sessions and records (ADR 0005): the use cases check writes, the
queries reads. "A partner" is a participant whose person id is the mentee's or the mentor's;
"the programme team" is a programme_team token whose programmes claim lists the pairing's."""

from __future__ import annotations

from uuid import UUID

from scheduling.domain.pairing import Pairing
from together_servicekit.auth import Forbidden, Principal


def is_partner(caller: Principal, pairing: Pairing) -> bool:
    return caller.is_person(pairing.mentee_person_id) or caller.is_person(pairing.mentor_person_id)


def require_partner(caller: Principal, pairing: Pairing, rule: str) -> UUID:
    """The caller's participant id in the pairing; 403 with `rule` for anyone else."""
    if not is_partner(caller, pairing):
        raise Forbidden(rule)
    return pairing.participant_of(caller.subject)


def require_partner_or_team(caller: Principal, pairing: Pairing, rule: str) -> None:
    if not is_partner(caller, pairing) and not caller.runs(pairing.programme_id):
        raise Forbidden(rule)
