"""What a verified caller may be taken for."""

import pytest

from together_servicekit.auth import Principal, Role, visible_or_missing
from together_servicekit.errors import NotFound


def test_a_person_acts_as_themself_only_with_the_participant_role():
    assert Principal("amina", frozenset({Role.participant})).is_person("amina")
    assert not Principal("amina", frozenset({Role.participant})).is_person("ravi")
    # A service or team token that happens to carry a person's subject is not that person.
    assert not Principal("amina", frozenset({Role.service})).is_person("amina")
    assert not Principal("amina", frozenset({Role.programme_team}), frozenset({"*"})).is_person("amina")


def test_a_programme_team_runs_the_programmes_in_its_scope():
    team = Principal("lead", frozenset({Role.programme_team}), frozenset({"p1"}))
    assert team.runs("p1") and not team.runs("p2")
    assert Principal("lead", frozenset({Role.programme_team}), frozenset({"*"})).runs("anything")
    # The scope claim grants nothing without the role.
    assert not Principal("amina", frozenset({Role.participant}), frozenset({"*"})).runs("p1")


def test_an_object_the_caller_may_not_see_is_refused_as_a_missing_one():
    amina = Principal("amina", frozenset({Role.participant}))
    note = {"author": "amina"}
    assert visible_or_missing(note, lambda n: amina.is_person(n["author"]), "note", "n1") is note
    refusals = []
    for found in ({"author": "ravi"}, None):  # another's, and none at all
        with pytest.raises(NotFound) as refused:
            visible_or_missing(found, lambda n: amina.is_person(n["author"]), "note", "n1")
        refusals.append((refused.value.status, refused.value.code, refused.value.message, refused.value.violations))
    assert refusals[0] == refusals[1] == (404, "not_found", "note n1 does not exist", [])
