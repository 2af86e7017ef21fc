"""The hard rules a mentor and a mentee meet to be paired, stated once for every service that pairs them.

Matching keeps a mentor out of a mentee's suggestions with them (and applies them, vectorised, in its
index); pairing refuses a request that breaks them, ranked, direct or sent by an accepted assignment.
Free capacity is `roles.places_left`; the eligibility of each side is `eligibility.py`.

- Grade (`GradeRule`, by programme kind): the mentor is more experienced than the mentee, a higher
  grade or the same grade and more years of service (so a G-level mentee may get a more experienced
  G-level mentor, or any higher category); reverse mentoring inverts it, the mentor's grade strictly
  below the mentee's; coaching has none (a coach is chosen for expertise, not rank).
- Language: the two share a language meetings may be held in: one they both speak among the
  programme's meeting languages (any language they share when the programme's are not known).
  Case and surrounding spaces do not matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from together_contracts.registration import GRADES, ProgrammeKind, grade_rank
from together_contracts.words import OR, Words, listed


class GradeRule(StrEnum):
    mentor_more_experienced = "mentor_more_experienced"
    mentor_below_mentee = "mentor_below_mentee"
    none = "none"


def grade_rule_of(kind: str | None) -> GradeRule:
    """The programme kind's grade rule; a kind not known (yet) is mentoring's."""
    if kind == ProgrammeKind.reverse_mentoring:
        return GradeRule.mentor_below_mentee
    if kind == ProgrammeKind.coaching:
        return GradeRule.none
    return GradeRule.mentor_more_experienced


@dataclass(frozen=True)
class Experience:
    """A grade (from `GRADES`; the contract lets it be any text) and years of service."""

    grade: str
    years_of_service: int

    @property
    def known(self) -> bool:
        return self.grade in GRADES


def grade_holds(rule: GradeRule, *, mentor: Experience, mentee: Experience) -> bool:
    """Whether the pair meets the grade rule. A grade not in the vocabulary meets no rule but `none`."""
    if rule is GradeRule.none:
        return True
    if not (mentor.known and mentee.known):
        return False
    if rule is GradeRule.mentor_below_mentee:
        return grade_rank(mentor.grade) < grade_rank(mentee.grade)
    return (grade_rank(mentor.grade), mentor.years_of_service) > (grade_rank(mentee.grade), mentee.years_of_service)


def grade_refusal(rule: GradeRule, *, mentor: Experience, mentee: Experience) -> Words:
    """What the grade rule asks and how the pair falls short of it, said to the mentee."""
    unknown = next((side.grade for side in (mentor, mentee) if not side.known), None)
    if unknown is not None:
        return Words(
            f"the grade rule cannot be checked: '{unknown}' is not a known grade",
            f"la règle de classe ne peut pas être vérifiée : « {unknown} » n'est pas une classe connue",
            f"la regla de categoría no puede comprobarse: «{unknown}» no es una categoría conocida",
        )
    if rule is GradeRule.mentor_below_mentee:
        rule_words = Words(
            "in reverse mentoring the mentor's grade must be below yours: ",
            "en mentorat inversé, la classe du mentor doit être inférieure à la vôtre : ",
            "en la mentoría inversa, la categoría del mentor debe ser inferior a la suya: ",
        )
        if mentor.grade == mentee.grade:
            return Words(
                f"the mentor is {mentor.grade}, the same grade as you",
                f"le mentor est {mentor.grade}, la même classe que vous",
                f"el mentor es {mentor.grade}, la misma categoría que usted",
            ).after(rule_words)
        return Words(
            f"the mentor is {mentor.grade}, above your {mentee.grade}",
            f"le mentor est {mentor.grade}, au-dessus de votre classe {mentee.grade}",
            f"el mentor es {mentor.grade}, por encima de su categoría {mentee.grade}",
        ).after(rule_words)
    return Words(
        f"the mentor must be more experienced than you (a higher grade, or the same grade and more years of service): "
        f"the mentor is {mentor.grade} with {mentor.years_of_service} years of service; "
        f"you are {mentee.grade} with {mentee.years_of_service}",
        f"le mentor doit avoir plus d'expérience que vous (une classe plus élevée, ou la même classe et plus d'années "
        f"de service) : le mentor est {mentor.grade} avec {mentor.years_of_service} années de service ; "
        f"vous êtes {mentee.grade} avec {mentee.years_of_service}",
        f"el mentor debe tener más experiencia que usted (una categoría superior, o la misma categoría y más años de "
        f"servicio): el mentor es {mentor.grade} con {mentor.years_of_service} años de servicio; "
        f"usted es {mentee.grade} con {mentee.years_of_service}",
    )


def _fold(languages: Iterable[str]) -> dict[str, str]:
    """Case- and space-insensitive keys, keeping the first spelling."""
    folded: dict[str, str] = {}
    for language in languages:
        folded.setdefault(language.strip().casefold(), language.strip())
    return folded


def meeting_languages_of(spoken: Iterable[str], meeting_languages: Sequence[str] | None) -> dict[str, str]:
    """The languages a person speaks that meetings may be held in (folded key -> their spelling):
    all they speak when the programme's meeting languages are not known."""
    theirs = _fold(spoken)
    if meeting_languages is None:
        return theirs
    meeting = _fold(meeting_languages)
    return {key: spelling for key, spelling in theirs.items() if key in meeting}


def shared_meeting_languages(
    mentee_languages: Iterable[str], mentor_languages: Iterable[str], meeting_languages: Sequence[str] | None
) -> list[str]:
    """The meeting languages both speak, in the mentor's order and the mentee's spelling; empty breaks the rule."""
    mine = meeting_languages_of(mentee_languages, meeting_languages)
    return [mine[key] for key in meeting_languages_of(mentor_languages, meeting_languages) if key in mine]


def language_refusal(
    mentee_languages: Sequence[str],
    mentor_languages: Sequence[str],
    meeting_languages: Sequence[str] | None,
    partner: str = "mentor",
) -> Words:
    """No shared meeting language, said to the mentee; `partner` is what the other side is called (mentor, coach)."""
    mine, theirs = ", ".join(mentee_languages), ", ".join(mentor_languages)
    spoken = Words(
        f"you speak {mine}; the {partner} speaks {theirs}",
        f"vous parlez {mine} ; le {partner} parle {theirs}",
        f"usted habla {mine}; el {partner} habla {theirs}",
    )
    if meeting_languages is None:
        return spoken.after(
            Words("no shared meeting language: ", "aucune langue de réunion commune : ", "ninguna lengua de reunión en común: ")
        )
    held_in = listed(list(meeting_languages), OR)
    return spoken.after(
        Words(
            f"no shared meeting language: meetings in this programme are held in {held_in.en}; ",
            f"aucune langue de réunion commune : dans ce programme, les réunions se tiennent en {held_in.fr} ; ",
            f"ninguna lengua de reunión en común: en este programa las reuniones se celebran en {held_in.es}; ",
        )
    )
