"""The hard rules a request meets where it is made: grade (inverted in reverse mentoring), a shared meeting
language among the programme's, free capacity, both sides eligible; every reason named, in the caller's language."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pairing.domain.lifecycle import Lifecycle
from pairing.domain.pair_rules import Programme, Side, eligibility_breaches, pair_breaches
from pairing.domain.preferences import MentorView, Participant, assigned_pair_skip, preference_violations, refused
from together_contracts import pairing as v1
from together_contracts import pairing_v2
from together_contracts.matching import AssignedPair
from together_contracts.pairing_v2 import SkipReason
from together_contracts.registration import AppointmentType, ProgrammeKind, ProgrammeRules, Role, RoleRules, SessionPlan

STAFF = [AppointmentType.permanent]
RULES = ProgrammeRules(
    roles={
        Role.mentor: RoleRules(appointment_types=STAFF, min_capacity=1, max_capacity=2),
        Role.mentee: RoleRules(appointment_types=STAFF, job_networks=["POLNET", "DEVNET"]),
    },
    meeting_languages=["English", "French"],
    entities=["ITC"],
    session_plan=SessionPlan(period_months=4, meeting_interval="twice a month"),
)
MENTORING = Programme(kind=ProgrammeKind.mentoring, rules=RULES)
REVERSE = Programme(kind=ProgrammeKind.reverse_mentoring, rules=RULES)
COHORT = UUID(int=1)


MENTEE = Side(roles=["mentee"], grade="G-6", years_of_service=5, languages=["English"], entity="DESA", job_network="POLNET")
MENTOR = Side(
    roles=["mentor"], grade="P-4", years_of_service=12, languages=["English", "French"], entity="OHCHR", job_network="LOGNET"
)


def mentee(**answers: Any) -> Side:
    return replace(MENTEE, **answers)


def mentor(**answers: Any) -> Side:
    return replace(MENTOR, **answers)


def rules_of(breaches: list) -> list[str]:
    return [b.rule for b in breaches]


def test_a_pair_that_meets_every_rule_passes():
    assert pair_breaches(MENTORING, mentee=mentee(), mentor=mentor()) == []
    assert eligibility_breaches(MENTORING, mentee(), offering=False) == []
    assert eligibility_breaches(MENTORING, mentor(entity="itc"), offering=True) == []  # the programme's list


def test_the_grade_rule_and_its_inversion_in_reverse_mentoring():
    junior, leader = mentor(grade="P-2", years_of_service=3), mentee(grade="D-1", years_of_service=20)
    assert rules_of(pair_breaches(MENTORING, mentee=leader, mentor=junior)) == ["grade"]
    assert pair_breaches(REVERSE, mentee=leader, mentor=junior) == []
    [same] = pair_breaches(REVERSE, mentee=leader, mentor=mentor(grade="D-1"))
    assert (
        same.words.en == "in reverse mentoring the mentor's grade must be below yours: the mentor is D-1, the same grade as you"
    )
    coaching = Programme(kind=ProgrammeKind.coaching, rules=RULES)
    assert pair_breaches(coaching, mentee=leader, mentor=junior) == []  # a coach is chosen for expertise


def test_only_a_language_among_the_programmes_meeting_languages_counts():
    spanish_speakers = mentee(languages=["Spanish"]), mentor(languages=["Spanish", "Arabic"])
    [breach] = pair_breaches(MENTORING, mentee=spanish_speakers[0], mentor=spanish_speakers[1])
    assert breach.rule == "language"
    assert "meetings in this programme are held in English or French" in breach.words.en
    not_known = Programme(kind=ProgrammeKind.mentoring)  # its ProgrammeCreated not handled yet: any shared language
    assert pair_breaches(not_known, mentee=spanish_speakers[0], mentor=spanish_speakers[1]) == []


def test_eligibility_names_the_entity_and_the_job_network_of_the_side_it_refuses():
    assert rules_of(eligibility_breaches(MENTORING, mentee(entity="UNICEF", job_network="LOGNET"), offering=False)) == [
        "eligible_entity",
        "eligible_job_network",
    ]
    [unicef] = eligibility_breaches(MENTORING, mentor(entity="UNICEF"), offering=True)
    assert "'UNICEF'" in unicef.words.en and "ITC" in unicef.words.en
    assert eligibility_breaches(MENTORING, mentor(job_network="LOGNET"), offering=True) == []  # mentees only


def test_what_pairing_does_not_know_is_not_held_against_anyone():
    unknown = Side(roles=["mentor"])  # registered before pairing copied the answers
    assert pair_breaches(MENTORING, mentee=mentee(), mentor=unknown) == []
    assert eligibility_breaches(MENTORING, unknown, offering=True) == []
    assert eligibility_breaches(Programme(), mentee(entity="UNICEF"), offering=False) == []  # rules not known


def test_a_request_bypassing_the_suggestions_is_refused_naming_each_rule_in_the_callers_language():
    me = uuid.uuid4()
    senior, junior, spanish, unicef, full = (uuid.uuid4() for _ in range(5))
    views = {
        senior: MentorView(senior, True, True, mentor()),
        junior: MentorView(junior, True, True, mentor(grade="G-5")),
        spanish: MentorView(spanish, True, True, mentor(languages=["Spanish"])),
        unicef: MentorView(unicef, True, True, mentor(entity="UNICEF")),
        full: MentorView(full, True, False, mentor()),
    }
    ranked = [senior, junior, spanish, unicef, full]
    common = dict(already_paired=False, has_open_selection=False, programme=MENTORING)
    violations = preference_violations(me, ranked, views, mentee=mentee(entity="UNDP"), language="fr", **common)
    assert [(v.field, v.rule) for v in violations] == [
        ("mentee_id", "eligible_entity"),
        ("mentor_ids.1", "grade"),
        ("mentor_ids.2", "language"),
        ("mentor_ids.3", "eligible_entity"),
        ("mentor_ids.4", "free_capacity"),
    ]
    messages = [v.message for v in violations]
    assert messages[0] == "l'entité « UNDP » n'est pas admise dans ce programme, ouvert au Secrétariat ainsi qu'à ITC"
    assert messages[1].startswith(f"mentor {junior} : le mentor doit avoir plus d'expérience que vous")
    assert messages[2].startswith(f"mentor {spanish} : aucune langue de réunion commune")
    assert messages[4] == f"le mentor {full} n'a plus de place libre"
    assert refused(violations, "fr").startswith("préférences refusées : l'entité « UNDP »")
    english = preference_violations(me, ranked, views, mentee=mentee(), language="en", **common)
    assert english[0].message.startswith(f"mentor {junior}: the mentor must be more experienced than you")
    spanish_words = preference_violations(me, [spanish], views, mentee=mentee(), language="es", **common)
    assert spanish_words[0].message.startswith(f"mentor {spanish}: ninguna lengua de reunión en común")
    assert preference_violations(me, [senior], views, mentee=mentee(), **common) == []


def test_an_assigned_pair_breaking_a_rule_is_skipped_with_the_rule():
    mentee_row, mentor_row = Participant(UUID(int=50), COHORT, ["mentee"]), Participant(UUID(int=51), COHORT, ["mentor"])

    def skip(programme: Programme = MENTORING, **sides: Side) -> SkipReason | None:
        facts = {"mentee_side": mentee(), "mentor_side": mentor()} | sides
        return assigned_pair_skip(
            mentee_row, mentor_row, cohort_id=COHORT, already_sent=False, mentee_paired=False, open_selection=False,
            programme=programme, **facts,
        )  # fmt: skip

    assert skip() is None
    assert skip(mentee_side=mentee(entity="UNICEF")) is SkipReason.mentee_not_eligible
    assert skip(mentor_side=mentor(entity="UNICEF")) is SkipReason.mentor_not_eligible
    assert skip(mentor_side=mentor(grade="G-1")) is SkipReason.grade
    assert skip(REVERSE) is SkipReason.grade
    assert skip(mentor_side=mentor(languages=["Arabic"])) is SkipReason.language


def test_a_skip_is_published_as_v2_and_as_v1_while_they_overlap_when_v1_knows_the_reason():
    now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    lifecycle = Lifecycle(lambda: now, desks={}, selections={}, requests={}, pairings={})
    pair = AssignedPair(mentee_id=UUID(int=50), mentor_id=UUID(int=51), score=1.0)
    lifecycle.skip_assigned_pair(UUID(int=9), COHORT, pair, SkipReason.language)
    lifecycle.skip_assigned_pair(UUID(int=9), COHORT, pair, SkipReason.mentee_paired)
    assert [(type(e), e.reason.value) for e in lifecycle.events] == [
        (pairing_v2.AssignedPairSkipped, "language"),
        (pairing_v2.AssignedPairSkipped, "mentee_paired"),
        (v1.AssignedPairSkipped, "mentee_paired"),
    ]
