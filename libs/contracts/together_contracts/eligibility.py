"""Who may take a role in a programme by the answers that travel in events: entity and job network.

Registration refuses a registration, an edit or a grant with these rules; pairing refuses a request
whose mentor or mentee they no longer admit (a programme's rules may change after registration).
The appointment type is a programme-team-only answer: registration alone checks it.

Entities: by default the Secretariat and the other entities the programme lists
(`ProgrammeRules.entities`, e.g. ITC, ISA; empty by default: the Secretariat only). A role with a list
of its own (`RoleRules.entities`) takes the entities that list names instead, as it always did. An
entity answer counts as the Secretariat when it names the Secretariat itself or one of its
departments, offices, regional commissions or missions (`SECRETARIAT_ENTITIES`), and a list naming
"Secretariat" names all of them.
Job networks: a role lists the eligible ones (`RoleRules.job_networks`; None: any). Case and
surrounding spaces do not matter.
"""

from __future__ import annotations

from collections.abc import Iterable

from together_contracts.registration import ProgrammeRules, Role
from together_contracts.words import AND, Words, listed

SECRETARIAT = "Secretariat"
# The Secretariat's departments, offices, regional commissions and missions, as staff name their entity.
SECRETARIAT_ENTITIES: frozenset[str] = frozenset(
    name.casefold()
    for name in (
        "Secretariat", "UN Secretariat", "United Nations Secretariat",
        # departments and offices at headquarters
        "EOSG", "DESA", "DGACM", "DGC", "DMSPC", "DOS", "DPO", "DPPA", "DSS", "OCHA", "OCT", "ODA", "UNODA", "OHCHR",
        "OICT", "OIOS", "OLA", "OSAA", "OHRLLS", "UN-OHRLLS", "DCO", "UNDRR", "UNOOSA", "Ethics Office", "OAJ", "UNOMS",
        # offices away from headquarters, programmes and bodies whose staff are the Secretariat's
        "UNOG", "UNON", "UNOV", "UNODC", "UNEP", "UN-Habitat", "UNCTAD", "IRMCT", "UNGSC", "RSCE",
        # regional commissions
        "ECA", "ECE", "ECLAC", "ESCAP", "ESCWA",
        # peace operations and special political missions
        "BINUH", "MINURSO", "MINUSCA", "MONUSCO", "UNAMA", "UNAMI", "UNDOF", "UNFICYP", "UNIFIL", "UNISFA", "UNMHA",
        "UNMIK", "UNMISS", "UNMOGIP", "UNOAU", "UNOCA", "UNOWAS", "UNRCCA", "UNSCO", "UNSCOL", "UNSMIL", "UNSOM",
        "UNSOS", "UNTMIS", "UNTSO", "UNVMC",
    )
)  # fmt: skip

_PLURAL: dict[Role, Words] = {
    Role.mentor: Words("mentors", "mentors", "mentores"),
    Role.mentee: Words("mentees", "mentorés", "mentorados"),
    Role.coach: Words("coaches", "coachs", "coaches"),
    Role.client: Words("clients", "clients", "clientes"),
}


def _key(text: str) -> str:
    return text.strip().casefold()


def is_secretariat(entity: str) -> bool:
    return _key(entity) in SECRETARIAT_ENTITIES


def names_entity(listed_entities: Iterable[str], entity: str) -> bool:
    """The list names this entity, or names the Secretariat and the entity is one of its own."""
    keys = {_key(e) for e in listed_entities}
    return _key(entity) in keys or (_key(SECRETARIAT) in keys and is_secretariat(entity))


def entity_admitted(rules: ProgrammeRules, role: Role, entity: str) -> bool:
    """The entities the role's own list names, if it has one; else the Secretariat and the programme's list."""
    role_rules = rules.roles.get(role)
    if role_rules is not None and role_rules.entities is not None:
        return names_entity(role_rules.entities, entity)
    return is_secretariat(entity) or names_entity(rules.entities, entity)


def entity_refusal(rules: ProgrammeRules, role: Role, entity: str) -> Words:
    """Why the entity may not take the role, naming it (call it when `entity_admitted` is False)."""
    role_rules = rules.roles.get(role)
    if role_rules is not None and role_rules.entities is not None:
        eligible = ", ".join(role_rules.entities)
        plural = _PLURAL[role]
        return Words(
            f"entity '{entity}' is not open to {plural.en} in this programme; eligible: {eligible}",
            f"l'entité « {entity} » n'est pas ouverte aux {plural.fr} dans ce programme ; entités admises : {eligible}",
            f"la entidad «{entity}» no está abierta a los {plural.es} en este programa; entidades admitidas: {eligible}",
        )
    others = listed(list(rules.entities), AND)
    en, fr, es = (f" and to {others.en}", f" ainsi qu'à {others.fr}", f" y a {others.es}") if rules.entities else ("", "", "")
    return Words(
        f"entity '{entity}' is not eligible for this programme, which is open to the Secretariat{en}",
        f"l'entité « {entity} » n'est pas admise dans ce programme, ouvert au Secrétariat{fr}",
        f"la entidad «{entity}» no es elegible para este programa, abierto a la Secretaría{es}",
    )


def job_network_admitted(rules: ProgrammeRules, role: Role, job_network: str) -> bool:
    role_rules = rules.roles.get(role)
    if role_rules is None or role_rules.job_networks is None:
        return True
    return _key(job_network) in {_key(n) for n in role_rules.job_networks}


def job_network_refusal(rules: ProgrammeRules, role: Role, job_network: str) -> Words:
    """Why the job network may not take the role, naming it (call it when `job_network_admitted` is False)."""
    eligible = ", ".join(rules.roles[role].job_networks or [])
    plural = _PLURAL[role]
    return Words(
        f"job network '{job_network}' is not open to {plural.en} in this cohort; eligible: {eligible}",
        f"le réseau d'emplois « {job_network} » n'est pas ouvert aux {plural.fr} dans cette cohorte ; réseaux admis : {eligible}",
        f"la red de empleos «{job_network}» no está abierta a los {plural.es} en esta cohorte; redes admitidas: {eligible}",
    )
