from together_contracts.registration import Role
from together_contracts.roles import capacity_of, is_full, offers_partnership, places_left, seeks_partner


def test_a_capacity_counts_only_for_a_role_held():
    assert capacity_of([Role.mentor], 2, 3) == 2
    assert capacity_of([Role.coach], 2, 3) == 3
    assert capacity_of(["mentor", "coach"], 2, 3) == 5
    assert capacity_of(["mentee"], 2, 3) == 0
    assert capacity_of(["mentor"], None, None) == 0


def test_seeking_and_offering_roles():
    assert seeks_partner(["mentee"]) and seeks_partner([Role.client]) and seeks_partner(["mentor", "mentee"])
    assert not seeks_partner(["mentor", "coach"])
    assert offers_partnership(["coach"]) and offers_partnership(["mentor", "mentee"]) and not offers_partnership(["client"])


def test_places_left_never_negative_and_full_when_none_left():
    assert places_left(3, 1) == 2 and not is_full(3, 1)
    assert places_left(2, 2) == 0 and is_full(2, 2)
    assert places_left(1, 3) == 0 and is_full(1, 3)  # after a capacity cut
    assert is_full(0, 0)
