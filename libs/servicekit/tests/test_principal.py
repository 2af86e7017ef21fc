"""What a verified caller may be taken for."""

from together_servicekit.auth import Principal, Role


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
