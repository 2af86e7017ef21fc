"""The hard rules of a pair, as matching and pairing both apply them, and their words in three languages."""

from __future__ import annotations

import pytest

from together_contracts.hard_rules import (
    Experience,
    GradeRule,
    grade_holds,
    grade_refusal,
    grade_rule_of,
    language_refusal,
    shared_meeting_languages,
)
from together_contracts.registration import ProgrammeKind

MORE, BELOW = GradeRule.mentor_more_experienced, GradeRule.mentor_below_mentee


def test_each_kind_has_its_grade_rule():
    assert grade_rule_of(ProgrammeKind.reverse_mentoring) is BELOW
    assert grade_rule_of(ProgrammeKind.coaching) is GradeRule.none
    for kind in (ProgrammeKind.mentoring, ProgrammeKind.networking_mentoring, ProgrammeKind.on_the_job_learning, None):
        assert grade_rule_of(kind) is MORE


@pytest.mark.parametrize(
    ("mentor", "mentee", "more", "below"),
    [
        (("P-4", 3), ("G-6", 20), True, False),  # a higher category, whatever the years
        (("G-6", 15), ("G-6", 5), True, False),  # the same grade, more years
        (("G-6", 5), ("G-6", 5), False, False),  # the same grade and years: neither
        (("G-5", 30), ("G-6", 1), False, True),  # a lower grade, however long
        (("D-1", 1), ("D-1", 20), False, False),  # reverse mentoring wants a grade strictly below
    ],
)
def test_the_grade_rule_and_its_inversion(mentor, mentee, more, below):
    pair = {"mentor": Experience(*mentor), "mentee": Experience(*mentee)}
    assert grade_holds(MORE, **pair) is more
    assert grade_holds(BELOW, **pair) is below
    assert grade_holds(GradeRule.none, **pair)


def test_an_unknown_grade_meets_no_rule_but_none():
    pair = {"mentor": Experience("(erased)", 0), "mentee": Experience("G-4", 2)}
    assert not grade_holds(MORE, **pair) and not grade_holds(BELOW, **pair) and grade_holds(GradeRule.none, **pair)
    assert grade_refusal(MORE, **pair).en == "the grade rule cannot be checked: '(erased)' is not a known grade"


def test_the_reverse_mentoring_refusal_says_the_rule_and_reads_right_when_grades_are_equal():
    equal = grade_refusal(BELOW, mentor=Experience("P-5", 10), mentee=Experience("P-5", 3))
    assert equal.en == "in reverse mentoring the mentor's grade must be below yours: the mentor is P-5, the same grade as you"
    assert (
        equal.fr
        == "en mentorat inversé, la classe du mentor doit être inférieure à la vôtre : le mentor est P-5, la même classe que vous"
    )
    assert (
        equal.es
        == "en la mentoría inversa, la categoría del mentor debe ser inferior a la suya: el mentor es P-5, la misma categoría que usted"
    )
    above = grade_refusal(BELOW, mentor=Experience("D-1", 1), mentee=Experience("P-5", 3))
    assert above.en.endswith("the mentor is D-1, above your P-5")
    assert "you are P-5" not in equal.en and "mentor is P-5; you are P-5" not in equal.en


def test_the_experience_refusal_names_both_sides():
    words = grade_refusal(MORE, mentor=Experience("P-3", 5), mentee=Experience("P-3", 8))
    assert words.en == (
        "the mentor must be more experienced than you (a higher grade, or the same grade and more years of service): "
        "the mentor is P-3 with 5 years of service; you are P-3 with 8"
    )
    assert words.fr.startswith("le mentor doit avoir plus d'expérience que vous")
    assert words.es.startswith("el mentor debe tener más experiencia que usted")


def test_only_the_programmes_meeting_languages_are_shared():
    english_french = ["English", "French"]
    assert shared_meeting_languages(["Spanish", "English"], ["spanish", "Arabic"], english_french) == []
    assert shared_meeting_languages(["Spanish", "English"], ["spanish", "Arabic"], None) == ["Spanish"]  # not known: any
    assert shared_meeting_languages([" french ", "Spanish"], ["Spanish", "FRENCH"], english_french) == ["french"]
    assert shared_meeting_languages(["English"], ["English"], []) == []  # no meeting language at all: none shared


def test_the_language_refusal_names_the_meeting_languages_in_each_language():
    words = language_refusal(["Spanish"], ["Spanish", "Arabic"], ["English", "French"])
    assert words.en == (
        "no shared meeting language: meetings in this programme are held in English or French; "
        "you speak Spanish; the mentor speaks Spanish, Arabic"
    )
    assert words.fr == (
        "aucune langue de réunion commune : dans ce programme, les réunions se tiennent en English ou French ; "
        "vous parlez Spanish ; le mentor parle Spanish, Arabic"
    )
    assert words.es == (
        "ninguna lengua de reunión en común: en este programa las reuniones se celebran en English o French; "
        "usted habla Spanish; el mentor habla Spanish, Arabic"
    )
    assert language_refusal(["French"], ["Arabic"], None, "coach").en == (
        "no shared meeting language: you speak French; the coach speaks Arabic"
    )
