"""Eligibility by entity and job network: the Secretariat plus the programme's list, as registration and pairing apply it."""

from __future__ import annotations

from together_contracts.eligibility import (
    entity_admitted,
    entity_refusal,
    is_secretariat,
    job_network_admitted,
    job_network_refusal,
)
from together_contracts.registration import AppointmentType, ProgrammeRules, Role, RoleRules, SessionPlan
from together_contracts.words import Words

STAFF = [AppointmentType.permanent]


def programme(entities: list[str] | None = None, mentee: RoleRules | None = None) -> ProgrammeRules:
    return ProgrammeRules(
        roles={
            Role.mentor: RoleRules(appointment_types=STAFF, min_capacity=1, max_capacity=2),
            Role.mentee: mentee or RoleRules(appointment_types=STAFF),
        },
        meeting_languages=["English"],
        session_plan=SessionPlan(period_months=4, meeting_interval="monthly"),
        **({"entities": entities} if entities is not None else {}),
    )


def test_the_secretariat_and_its_own_entities_whatever_the_spelling():
    for name in ("Secretariat", " un secretariat ", "DESA", "ohchr", "UN-Habitat", "ECLAC", "MONUSCO"):
        assert is_secretariat(name), name
    for name in ("UNICEF", "UNDP", "ITC", "ISA", "WFP", ""):
        assert not is_secretariat(name), name


def test_by_default_only_the_secretariat_and_the_refusal_names_the_entity():
    rules = programme()
    assert rules.entities == []  # rules from before the list existed read the same
    assert entity_admitted(rules, Role.mentee, "DPPA")
    assert not entity_admitted(rules, Role.mentee, "UNICEF")
    assert entity_refusal(rules, Role.mentee, "UNICEF") == Words(
        "entity 'UNICEF' is not eligible for this programme, which is open to the Secretariat",
        "l'entité « UNICEF » n'est pas admise dans ce programme, ouvert au Secrétariat",
        "la entidad «UNICEF» no es elegible para este programa, abierto a la Secretaría",
    )


def test_the_programmes_list_opens_it_to_more_entities():
    rules = programme(["ITC", "ISA", "UNDP"])
    assert all(entity_admitted(rules, role, "itc") for role in (Role.mentor, Role.mentee))
    assert not entity_admitted(rules, Role.mentor, "UNICEF")
    assert entity_refusal(rules, Role.mentor, "UNICEF").en == (
        "entity 'UNICEF' is not eligible for this programme, which is open to the Secretariat and to ITC, ISA and UNDP"
    )


def test_a_role_with_a_list_of_its_own_takes_the_entities_it_names():
    rules = programme(["ITC"], mentee=RoleRules(appointment_types=STAFF, entities=["Secretariat", "UNICEF"]))
    assert entity_admitted(rules, Role.mentee, "OCHA")  # "Secretariat" in a list names its own entities
    assert entity_admitted(rules, Role.mentee, "UNICEF")
    assert not entity_admitted(rules, Role.mentee, "ITC")  # the programme's list is for roles without their own
    assert entity_admitted(rules, Role.mentor, "ITC") and not entity_admitted(rules, Role.mentor, "UNICEF")
    assert entity_refusal(rules, Role.mentee, "ITC").es == (
        "la entidad «ITC» no está abierta a los mentorados en este programa; entidades admitidas: Secretariat, UNICEF"
    )
    only_itc = programme(mentee=RoleRules(appointment_types=STAFF, entities=["ITC"]))
    assert not entity_admitted(only_itc, Role.mentee, "DESA")  # a role may leave the Secretariat out, as it always could


def test_job_networks_per_role():
    rules = programme(mentee=RoleRules(appointment_types=STAFF, job_networks=["POLNET", "DEVNET"]))
    assert job_network_admitted(rules, Role.mentee, "polnet") and job_network_admitted(rules, Role.mentor, "LOGNET")
    assert not job_network_admitted(rules, Role.mentee, "LOGNET")
    assert job_network_refusal(rules, Role.mentee, "LOGNET").fr == (
        "le réseau d'emplois « LOGNET » n'est pas ouvert aux mentorés dans cette cohorte ; réseaux admis : POLNET, DEVNET"
    )
