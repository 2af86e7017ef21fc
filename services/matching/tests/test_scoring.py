"""The scoring model: each hard rule and each factor, with the words a participant reads."""

from __future__ import annotations

import uuid

import pytest

from matching.domain.scoring.policy import DEFAULT_WEIGHTS, Person, explain, policy_for
from matching.domain.scoring.working_hours import working_hours_overlap
from together_contracts.hard_rules import GradeRule
from together_contracts.registration import (
    GRADES,
    ProgrammeKind,
    ProgrammeRules,
    PublicProfile,
    SessionPlan,
    grade_rank,
)

MENTORING = policy_for(ProgrammeKind.mentoring)


def profile(**overrides: object) -> PublicProfile:
    fields: dict[str, object] = dict(
        display_name="A",
        entity="DESA",
        duty_station="New York",
        time_zone="America/New_York",
        grade="P-3",
        years_of_service=6,
        job_network="DEVNET",
        languages=["English"],
    )
    fields.update(overrides)
    return PublicProfile(**fields)


def mentor(capacity: int = 2, active: int = 0, **overrides: object) -> Person:
    return Person(uuid.uuid4(), profile(**overrides), capacity=capacity, active_pairings=active)


def mentee(**overrides: object) -> Person:
    base: dict[str, object] = dict(grade="G-6", years_of_service=5)
    base.update(overrides)
    return Person(uuid.uuid4(), profile(**base))


def points(explanation, factor: str) -> float:
    return sum(c.points for c in explanation.contributions if c.factor == factor)


def rules(explanation) -> set[str]:
    return {e.rule for e in explanation.exclusions}


# -- hard rules ---------------------------------------------------------------------------------


def test_nobody_is_suggested_to_themself():
    me = Person(uuid.uuid4(), profile(grade="P-5", years_of_service=20), capacity=2)
    why = explain(me, me, MENTORING)
    assert not why.suggested
    assert "self" in rules(why)
    assert "nobody is suggested to themself" in [e.reason for e in why.exclusions]


def test_a_shared_meeting_language_is_required_whatever_the_score():
    me = mentee(languages=["English", "French"], job_network="DEVNET")
    spanish = mentor(languages=["Spanish"], job_network="DEVNET", grade="D-1", years_of_service=30)
    why = explain(me, spanish, MENTORING)
    assert rules(why) == {"language"}
    assert why.exclusions[0].reason == ("no shared meeting language: you speak English, French; the mentor speaks Spanish")
    assert why.score > 0  # still scored, so "why not" shows what it would have been
    assert explain(me, mentor(languages=["french"]), MENTORING).suggested  # case does not matter


def test_only_the_programmes_meeting_languages_count_as_shared():
    rules_ = ProgrammeRules(
        roles={}, meeting_languages=["English", "French"], session_plan=SessionPlan(period_months=4, meeting_interval="monthly")
    )
    english_and_french = policy_for(ProgrammeKind.mentoring, rules_)
    me = mentee(languages=["Spanish", "English"])
    hispanic = mentor(languages=["Spanish", "Arabic"], grade="D-1", years_of_service=30)
    why = explain(me, hispanic, english_and_french)
    assert rules(why) == {"language"}  # Spanish is shared, but meetings are not held in it
    assert why.exclusions[0].reason == (
        "no shared meeting language: meetings in this programme are held in English or French; "
        "you speak Spanish, English; the mentor speaks Spanish, Arabic"
    )
    assert points(why, "language") == 0
    assert explain(me, hispanic, MENTORING).suggested  # without the programme's rules, any shared language counts
    assert (
        explain(me, hispanic, english_and_french, "es").exclusions[0].reason
        == "ninguna lengua de reunión en común: en este programa las reuniones se celebran en English o French; "
        "usted habla Spanish, English; el mentor habla Spanish, Arabic"
    )
    bilingual = explain(me, mentor(languages=["english", "Spanish"], grade="D-1"), english_and_french)
    assert bilingual.suggested and "speaks English, as you asked" in bilingual.reasons


def test_a_mentor_without_a_free_place_is_excluded():
    full = explain(mentee(), mentor(capacity=2, active=2), MENTORING)
    assert rules(full) == {"capacity"}
    assert full.exclusions[0].reason == "the mentor has no free place (2 of 2 taken)"
    assert explain(mentee(), mentor(capacity=2, active=1), MENTORING).suggested
    assert "capacity" in rules(explain(mentee(), mentor(capacity=0), MENTORING))


def test_all_the_hard_rules_are_given_at_once():
    why = explain(mentee(languages=["English"]), mentor(capacity=1, active=1, languages=["Arabic"], grade="G-2"), MENTORING)
    assert rules(why) == {"language", "capacity", "grade"}


@pytest.mark.parametrize(
    ("mentor_grade", "mentor_years", "suggested"),
    [
        ("G-7", 1, True),  # higher G-level
        ("G-6", 15, True),  # same grade, more years
        ("G-6", 5, False),  # same grade, same years
        ("G-5", 30, False),  # lower grade, however long
        ("NO-A", 1, True),  # NO above G
        ("FS-1", 1, True),  # FS above NO
        ("P-1", 0, True),  # P above FS
        ("USG", 0, True),
    ],
)
def test_a_g_level_mentee_gets_a_more_experienced_g_level_or_a_higher_category_mentor(mentor_grade, mentor_years, suggested):
    why = explain(mentee(grade="G-6", years_of_service=5), mentor(grade=mentor_grade, years_of_service=mentor_years), MENTORING)
    assert why.suggested is suggested
    if not suggested:
        assert why.exclusions[0].reason == (
            "the mentor must be more experienced than you (a higher grade, or the same grade and more years of service): "
            f"the mentor is {mentor_grade} with {mentor_years} years of service; you are G-6 with 5"
        )


def test_grades_are_ordered_across_categories():
    order = ["G-1", "G-7", "NO-A", "NO-D", "FS-1", "FS-7", "P-1", "P-5", "D-1", "D-2", "ASG", "USG"]
    assert [grade_rank(g) for g in order] == sorted(grade_rank(g) for g in order)
    assert len(set(map(grade_rank, GRADES))) == len(GRADES)
    # A P-2 mentee: a D-1 may mentor, an FS-7 with 30 years may not.
    me = mentee(grade="P-2", years_of_service=3)
    assert explain(me, mentor(grade="D-1", years_of_service=1), MENTORING).suggested
    assert not explain(me, mentor(grade="FS-7", years_of_service=30), MENTORING).suggested


def test_reverse_mentoring_inverts_the_grade_rule():
    reverse = policy_for(ProgrammeKind.reverse_mentoring)
    assert reverse.grade_rule is GradeRule.mentor_below_mentee
    leader = mentee(grade="D-1", years_of_service=20)
    junior = explain(leader, mentor(grade="P-2", years_of_service=3), reverse)
    assert junior.suggested
    assert points(junior, "grade") == DEFAULT_WEIGHTS[ProgrammeKind.reverse_mentoring]["grade"]
    assert "mentor is P-2 with 3 years of service; you are D-1 with 20" in junior.reasons
    assert points(junior, "seniority") == 0  # juniors mentor: their fewer years are no demerit, more no merit
    same, above = (explain(leader, mentor(grade=grade, years_of_service=1), reverse) for grade in ("D-1", "D-2"))
    assert rules(same) == rules(above) == {"grade"}
    # The rule said as a rule, and read correctly when the grades are equal.
    assert (
        same.exclusions[0].reason
        == "in reverse mentoring the mentor's grade must be below yours: the mentor is D-1, the same grade as you"
    )
    assert (
        above.exclusions[0].reason
        == "in reverse mentoring the mentor's grade must be below yours: the mentor is D-2, above your D-1"
    )
    fr, es = (explain(leader, mentor(grade="D-1"), reverse, language).exclusions[0].reason for language in ("fr", "es"))
    assert (
        fr
        == "en mentorat inversé, la classe du mentor doit être inférieure à la vôtre : le mentor est D-1, la même classe que vous"
    )
    assert (
        es
        == "en la mentoría inversa, la categoría del mentor debe ser inferior a la suya: el mentor es D-1, la misma categoría que usted"
    )


def test_coaching_has_no_grade_rule():
    coaching = policy_for(ProgrammeKind.coaching)
    assert coaching.grade_rule is GradeRule.none
    client = mentee(grade="P-5", years_of_service=20, goals=["resilience"])
    coach = mentor(grade="G-5", years_of_service=2, expertise_areas=["Resilience"])
    why = explain(client, coach, coaching)
    assert why.suggested
    assert "has 'resilience' among areas of expertise, which is one of your goals" in why.reasons
    assert points(why, "skills_for_goals") == 3.0
    assert points(why, "grade") == 0 and points(why, "seniority") == 0


# -- factors and their words ---------------------------------------------------------------------


def test_every_point_has_its_reason():
    me = mentee(
        grade="G-6",
        years_of_service=5,
        goals=["negotiation", "budgeting"],
        languages=["English", "French"],
        job_network="DEVNET",
        favourite_activities=["Job shadowing"],
        entity="DESA",
        duty_station="New York",
        time_zone="America/New_York",
    )
    them = mentor(
        grade="P-4",
        years_of_service=12,
        skills=["Negotiation", "drafting"],
        languages=["French"],
        job_network="DEVNET",
        favourite_activities=["job shadowing"],
        entity="OHCHR",
        duty_station="Geneva",
        time_zone="Europe/Zurich",
    )
    policy = policy_for(
        ProgrammeKind.mentoring,
        ProgrammeRules(
            roles={},
            meeting_languages=["English", "French"],
            session_plan=SessionPlan(period_months=4, meeting_interval="twice a month"),
            cross_duty_station_preferred=True,
        ),
    )
    why = explain(me, them, policy)
    assert why.suggested
    by_reason = {c.reason: (c.factor, c.points) for c in why.contributions}
    assert by_reason == {
        "mentor is P-4 with 12 years of service; you are G-6 with 5": ("grade", 2.0),
        "has 7 more years of service than you": ("seniority", 0.7),
        "both work in DEVNET": ("job_network", 3.0),
        "has 'negotiation' among skills, which is one of your goals": ("skills_for_goals", 2.0),
        "you both like 'Job shadowing'": ("favourite_activities", 0.5),
        "speaks French, as you asked": ("language", 1.0),
        "your working hours overlap by 2 hours a day": ("time_zone", pytest.approx(2.0 * 2 / 8)),
        "works at OHCHR, another entity than yours: a wider network": ("cross_entity", 1.0),
        "based in Geneva, another duty station than yours": ("cross_duty_station", 1.0),
    }
    assert why.score == pytest.approx(2.0 + 0.7 + 3.0 + 2.0 + 0.5 + 1.0 + 0.5 + 1.0 + 1.0)


def test_each_goal_among_the_skills_counts():
    me = mentee(goals=["negotiation", "Leadership", "budgeting"])
    them = mentor(skills=["leadership", "negotiation"], grade="P-4")
    why = explain(me, them, MENTORING)
    assert points(why, "skills_for_goals") == 2 * 2.0
    assert [c.reason for c in why.contributions if c.factor == "skills_for_goals"] == [
        "has 'Leadership' among skills, which is one of your goals",
        "has 'negotiation' among skills, which is one of your goals",
    ]


def test_seniority_counts_extra_years_up_to_ten():
    me = mentee(grade="G-5", years_of_service=5)
    assert points(explain(me, mentor(grade="G-5", years_of_service=8), MENTORING), "seniority") == pytest.approx(0.3)
    assert points(explain(me, mentor(grade="P-1", years_of_service=40), MENTORING), "seniority") == 1.0
    assert points(explain(me, mentor(grade="P-1", years_of_service=2), MENTORING), "seniority") == 0
    # Same grade: seniority but no grade points.
    assert points(explain(me, mentor(grade="G-5", years_of_service=8), MENTORING), "grade") == 0


def test_same_entity_and_station_add_nothing():
    why = explain(mentee(entity="DESA"), mentor(entity="desa", grade="P-4"), MENTORING)
    assert points(why, "cross_entity") == 0
    assert points(why, "cross_duty_station") == 0


def test_cross_entity_reach_is_a_preference_per_programme():
    me, them = mentee(entity="DESA"), mentor(entity="UNEP", grade="P-4")
    assert points(explain(me, them, MENTORING), "cross_entity") == 1.0
    off = policy_for(
        ProgrammeKind.mentoring,
        ProgrammeRules(
            roles={},
            meeting_languages=["English"],
            session_plan=SessionPlan(period_months=4, meeting_interval="twice a month"),
            cross_entity_preferred=False,
        ),
    )
    assert points(explain(me, them, off), "cross_entity") == 0
    assert points(explain(me, mentor(duty_station="Nairobi", grade="P-4"), MENTORING), "cross_duty_station") == 0


def test_weights_are_overridden_by_factor_name():
    policy = policy_for(
        ProgrammeKind.mentoring,
        ProgrammeRules(
            roles={},
            meeting_languages=["English"],
            session_plan=SessionPlan(period_months=4, meeting_interval="twice a month"),
            matching_weights={"job_network": 10.0, "language": 0.0, "no_such_factor": 99.0},
        ),
    )
    why = explain(mentee(job_network="POLNET"), mentor(job_network="POLNET", grade="P-4"), policy)
    assert points(why, "job_network") == 10.0
    assert not [c for c in why.contributions if c.factor == "language"]  # weight 0: no point, no reason
    assert "no_such_factor" not in policy.weights
    assert policy.weight("grade") == DEFAULT_WEIGHTS[ProgrammeKind.mentoring]["grade"]


def test_working_hours_overlap_across_zones_and_daylight_saving():
    assert working_hours_overlap("Europe/Paris", "Europe/Zurich") == 8
    # New York and Geneva: 2 hours all year (both shift in the same weeks of January and July).
    assert working_hours_overlap("America/New_York", "Europe/Zurich") == 2
    # Nairobi (UTC+3, no daylight saving) and Geneva: 6 hours in January (UTC+1), 7 in July (UTC+2).
    assert working_hours_overlap("Africa/Nairobi", "Europe/Zurich") == pytest.approx((6 + 7) / 2)
    # Bangkok and New York: no overlap in a working day.
    assert working_hours_overlap("Asia/Bangkok", "America/New_York") == 0
    # Across the date line: Auckland's Monday morning is New York's Sunday afternoon; the Friday evening
    # of New York meets Auckland's Saturday morning: only Tuesday..Friday overlaps count.
    assert 0 < working_hours_overlap("Pacific/Auckland", "America/New_York") < 2
    assert working_hours_overlap("Nowhere/Atlantis", "Europe/Zurich") == 0
    assert working_hours_overlap("Asia/Kolkata", "Asia/Kathmandu") == pytest.approx(7.75)


def test_time_zone_points_follow_the_overlap():
    me = mentee(time_zone="Africa/Nairobi")
    why = explain(me, mentor(time_zone="Europe/Zurich", grade="P-4"), MENTORING)
    assert "your working hours overlap by 6.5 hours a day" in why.reasons
    assert points(why, "time_zone") == pytest.approx(2.0 * 6.5 / 8)
    far = explain(mentee(time_zone="Asia/Bangkok"), mentor(time_zone="America/New_York", grade="P-4"), MENTORING)
    assert points(far, "time_zone") == 0
    assert not [r for r in far.reasons if "overlap" in r]


def test_coaching_speaks_of_coaches():
    coaching = policy_for(ProgrammeKind.coaching)
    client = mentee(languages=["Spanish"])
    why = explain(client, mentor(capacity=1, active=1, languages=["Arabic"]), coaching)
    assert [e.reason for e in why.exclusions] == [
        "no shared meeting language: you speak Spanish; the coach speaks Arabic",
        "the coach has no free place (1 of 1 taken)",
    ]
