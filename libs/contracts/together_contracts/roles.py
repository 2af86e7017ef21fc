"""What a participant's roles and capacities mean, for every service that reads them.

Registration states roles and capacities in its events; matching and pairing count places from
them. The formulas live here, beside the contracts, so the three services cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from together_contracts.registration import Role

# The roles that offer to take partners (and state a capacity), and those that seek one (and take a place).
OFFERING_ROLES: tuple[Role, ...] = (Role.mentor, Role.coach)
SEEKING_ROLES: tuple[Role, ...] = (Role.mentee, Role.client)


def offers_partnership(roles: Iterable[str]) -> bool:
    """A mentor or a coach: takes partners up to a capacity (a coach also needs an approved credential)."""
    return any(role in OFFERING_ROLES for role in roles)


def seeks_partner(roles: Iterable[str]) -> bool:
    """A mentee or a client: looks for a partner and takes one of the cohort's places."""
    return any(role in SEEKING_ROLES for role in roles)


def capacity_of(roles: Iterable[str], mentor_capacity: int | None, coach_capacity: int | None) -> int:
    """How many partners at once: a mentor's mentor_capacity plus a coach's coach_capacity; a capacity
    stated without its role counts for nothing."""
    held = set(roles)
    return (mentor_capacity or 0 if Role.mentor in held else 0) + (coach_capacity or 0 if Role.coach in held else 0)


def places_left(capacity: int, active_pairings: int) -> int:
    """How many more partners a mentor or coach takes now (never negative after a capacity cut)."""
    return max(capacity - active_pairings, 0)


def is_full(capacity: int, active_pairings: int) -> bool:
    """A mentor or coach who takes no further partner now."""
    return places_left(capacity, active_pairings) == 0
