"""A cohort's places and waitlist, and each transition of its participants, without a database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registration.domain.cohort import Cohort, CohortStatus
from registration.domain.dates import CohortDates
from registration.domain.errors import Duplicate, Refused, StateConflict
from registration.domain.participant import Participant, ParticipantStatus, WithdrawnBy
from registration.domain.programme_rules import default_rules
from registration.domain.verification import AddressVerification
from together_contracts.registration import (
    AddressVerificationRequested,
    CohortClosed,
    CohortEnded,
    ParticipantAdmitted,
    ParticipantAnswersErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    ParticipantRoleGranted,
    ParticipantWithdrawn,
    ProgrammeKind,
    Role,
)
from together_contracts.roles import seeks_partner

OPEN_DAY = datetime(2026, 11, 10, 9, tzinfo=UTC)  # inside the window below
AFTER_CLOSE = datetime(2026, 12, 2, 9, tzinfo=UTC)
DATES = CohortDates(date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 1), date(2027, 4, 1))


def cohort(places: int | None = 2, **rules_changes: Any) -> Cohort:
    rules = default_rules(ProgrammeKind.mentoring).model_copy(update=rules_changes)
    return Cohort(id=uuid.uuid4(), programme_id=uuid.uuid4(), name="2026", rules=rules, dates=DATES, places=places)


def answers(name: str, *roles: str, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": name.title(), "email": f"{name}@UN.org", "index_number": None, "appointment_type": "permanent",
        "entity": "Secretariat", "duty_station": "Geneva", "time_zone": "Europe/Zurich", "grade": "P-3",
        "years_of_service": 5, "job_network": "POLNET", "job_family": None, "languages": ["English"], "gender": None,
        "skills": [], "goals": [], "favourite_activities": [], "expertise_areas": [], "linkedin_url": None, "bio": None,
        "preferred_language": "en", "roles": list(roles or ["mentee"]), "mentor_capacity": None, "coach_capacity": None,
    }  # fmt: skip
    if "mentor" in base["roles"]:
        base["mentor_capacity"] = 2
    return {**base, **changes}


def register_unverified(
    cohort: Cohort, name: str, *roles: str, now: datetime = OPEN_DAY
) -> tuple[Participant, AddressVerification]:
    participant, verification, requested = cohort.register(
        participant_id=uuid.uuid4(),
        verification_id=uuid.uuid4(),
        person_id=name,
        answers=answers(name, *roles),
        already_registered=None,
        now=now,
    )
    assert isinstance(requested, AddressVerificationRequested) and requested.verification_id == verification.id
    assert participant.status is ParticipantStatus.unverified and not cohort.holds_place(participant)
    return participant, verification


def verify(cohort: Cohort, participant: Participant, verification: AddressVerification, now: datetime = OPEN_DAY) -> list[Any]:
    verification.issue_link(now)
    return cohort.verify(participant, verification, address_taken=False, now=now)


def register(cohort: Cohort, name: str, *roles: str, now: datetime = OPEN_DAY) -> Participant:
    """Registered and verified: seen by all from now on."""
    participant, verification = register_unverified(cohort, name, *roles, now=now)
    [registered] = verify(cohort, participant, verification, now)
    assert isinstance(registered, ParticipantRegistered) and registered.waitlisted == participant.waitlisted
    return participant


def admitted(events: list[Any]) -> list[uuid.UUID]:
    return [e.participant_id for e in events if isinstance(e, ParticipantAdmitted)]


# --- closing -----------------------------------------------------------------------------------


def test_a_cohort_closes_once():
    c = cohort()
    closed = c.close(AFTER_CLOSE)
    assert isinstance(closed, CohortClosed) and closed.cohort_id == c.id and closed.closed_at == AFTER_CLOSE
    assert c.status is CohortStatus.closed and c.closed_at == AFTER_CLOSE
    with pytest.raises(StateConflict, match="closed at"):
        c.close(AFTER_CLOSE + timedelta(days=1))


def test_a_cohort_ends_after_its_last_day_in_utc_once():
    c = cohort()
    c.close(AFTER_CLOSE)
    last_day = datetime(2027, 4, 1, 23, 59, 59, tzinfo=UTC)
    assert not DATES.has_ended(last_day.date()) and DATES.has_ended(date(2027, 4, 2))
    with pytest.raises(StateConflict, match="runs until the end of 2027-04-01"):
        c.end(last_day)
    after = datetime(2027, 4, 2, 0, 0, 30, tzinfo=UTC)
    (ended,) = c.end(after)
    assert ended == CohortEnded(cohort_id=c.id, programme_id=c.programme_id, ends_on=date(2027, 4, 1), ended_at=after)
    assert c.ended_at == after
    with pytest.raises(StateConflict, match="ended at"):
        c.end(after + timedelta(days=1))


def test_a_cohort_still_open_at_its_end_closes_first():
    c = cohort()
    after = datetime(2027, 4, 2, 6, tzinfo=UTC)
    closed, ended = c.end(after)
    assert isinstance(closed, CohortClosed) and isinstance(ended, CohortEnded)
    assert c.status is CohortStatus.closed and c.closed_at == after == c.ended_at


def test_registration_after_the_end_is_refused_as_after_the_window():
    c = cohort()
    c.end(datetime(2027, 4, 2, tzinfo=UTC))
    with pytest.raises(Refused) as refused:
        register(c, "late", now=datetime(2027, 4, 3, tzinfo=UTC))
    assert ("cohort", "registration_window") in {(v.field, v.rule) for v in refused.value.violations}


def test_closing_early_ends_the_window_that_day():
    c = cohort()
    c.close(OPEN_DAY)
    assert not c.window.is_open(OPEN_DAY.date())
    with pytest.raises(Refused) as refused:
        register(c, "late")
    assert "closed early" in refused.value.message


# --- registering: places, then the waitlist ----------------------------------------------------


def test_mentees_take_places_then_wait_in_order():
    c = cohort(places=2)
    first, second, third, fourth = (register(c, name) for name in ("first", "second", "third", "fourth"))
    assert [p.status for p in (first, second, third, fourth)] == [ParticipantStatus.active] * 2 + [
        ParticipantStatus.waitlisted
    ] * 2
    assert c.places_taken == 2 and c.waitlist == [third.id, fourth.id]
    assert third.waitlisted_at == OPEN_DAY and first.waitlisted_at is None


def test_mentors_and_coaches_take_no_place():
    c = cohort(places=1)
    register(c, "mentee")
    mentor = register(c, "mentor", "mentor")
    assert mentor.status is ParticipantStatus.active and c.places_taken == 1 and c.waitlist == []


def test_a_mentor_who_is_also_a_mentee_takes_a_place():
    c = cohort(places=1)
    both = register(c, "both", "mentor", "mentee")
    assert both.status is ParticipantStatus.active and c.places_taken == 1
    assert register(c, "next").waitlisted


def test_a_cohort_without_places_never_has_a_waitlist():
    c = cohort(places=None)
    assert not any(register(c, f"m{n}").waitlisted for n in range(50))
    assert c.waitlist == []


def test_registration_outside_the_window_or_ineligible_is_refused_with_every_reason():
    c = cohort()
    with pytest.raises(Refused) as refused:
        c.register(
            participant_id=uuid.uuid4(),
            verification_id=uuid.uuid4(),
            person_id="p",
            answers=answers("p", job_network="LOGNET", time_zone="Mars/Olympus"),
            already_registered=None,
            now=AFTER_CLOSE,
        )
    assert {(v.field, v.rule) for v in refused.value.violations} == {
        ("cohort", "registration_window"),
        ("job_network", "eligible_job_network"),
        ("time_zone", "iana_time_zone"),
    }
    assert c.places_taken == 0


def test_a_second_registration_of_the_same_person_is_a_conflict_after_the_rules():
    c = cohort()
    first = uuid.uuid4()
    with pytest.raises(Duplicate) as duplicate:
        c.register(
            participant_id=uuid.uuid4(),
            verification_id=uuid.uuid4(),
            person_id="p",
            answers=answers("p"),
            already_registered=first,
            now=OPEN_DAY,
        )
    # The person is the duplicate, said plainly to them (it is their own registration), in their language.
    said = {language: duplicate.value.violation(language) for language in ("en", "fr", "es")}
    assert {(v.field, v.rule) for v in said.values()} == {("person_id", "one_registration_per_person")}
    assert said["en"].message.startswith(f"you are already registered in this cohort ({first})")
    assert said["fr"].message.startswith(f"vous êtes déjà inscrit·e dans cette cohorte ({first})")
    assert said["es"].message.startswith(f"usted ya está inscrito/a en esta cohorte ({first})")
    with pytest.raises(Refused):  # the rules are judged first
        c.register(
            participant_id=uuid.uuid4(),
            verification_id=uuid.uuid4(),
            person_id="p",
            answers=answers("p", grade="Z-9"),
            already_registered=uuid.uuid4(),
            now=OPEN_DAY,
        )


def test_the_email_is_stored_lower_case_and_team_only_answers_stay_out_of_the_events():
    c = cohort()
    participant, verification, requested = c.register(
        participant_id=uuid.uuid4(),
        verification_id=uuid.uuid4(),
        person_id="ada",
        answers=answers("ada"),
        already_registered=None,
        now=OPEN_DAY,
    )
    assert participant.email == verification.email == "ada@un.org"
    [registered] = verify(c, participant, verification)
    assert all("ada@" not in e.model_dump_json().lower() for e in (requested, registered))


# --- verification: nobody sees a registration before its address is verified ---------------------


def test_an_unverified_registration_takes_no_place_until_verified_then_takes_the_next():
    c = cohort(places=1)
    pending, verification = register_unverified(c, "pending")
    holder = register(c, "holder")  # verified first: seated first
    assert c.places_taken == 1 and c.holds_place(holder) and not pending.waitlisted
    [registered] = verify(c, pending, verification, OPEN_DAY + timedelta(hours=1))
    assert isinstance(registered, ParticipantRegistered) and registered.waitlisted and c.waitlist == [pending.id]
    assert pending.verified_at == OPEN_DAY + timedelta(hours=1) and registered.registered_at == OPEN_DAY


def test_an_unverified_participant_publishes_nothing_when_editing_or_withdrawing_and_gets_no_grant():
    c = cohort(places=1)
    p, _ = register_unverified(c, "ada")
    assert c.change_answers(p, {"bio": "Drafts.", "roles": ["mentor"], "mentor_capacity": 1}, now=OPEN_DAY)[1] == []
    with pytest.raises(StateConflict, match="not verified"):
        c.grant_role(p, Role.mentee, None, AFTER_CLOSE)
    assert c.withdraw(p, by=WithdrawnBy.participant, erase_answers=True, now=OPEN_DAY) == []
    assert p.answers_erased and p.email.endswith("@erased.invalid")


def test_an_address_verified_by_another_participant_of_the_cohort_is_not_verified_again():
    c = cohort()
    p, verification = register_unverified(c, "ada")
    verification.issue_link(OPEN_DAY)
    with pytest.raises(Duplicate) as duplicate:
        c.verify(p, verification, address_taken=True, now=OPEN_DAY)
    assert verification.pending and p.status is ParticipantStatus.unverified
    # Told only to whoever followed the link mailed to the address: the address is the duplicate, in their language.
    said = duplicate.value.violation("es")
    assert (said.field, said.rule) == ("email", "one_registration_per_address")
    assert said.message.startswith("esta dirección de correo electrónico ya está inscrita en esta cohorte")


def test_a_new_email_waits_for_its_verification_and_then_replaces_the_old_one_without_an_event():
    c = cohort()
    p = register(c, "ada")
    changed, events = c.change_answers(p, {"email": "Ada.New@un.org"}, now=OPEN_DAY)
    assert changed == ["email"] and events == [] and p.email == "ada@un.org"  # still the verified one
    verification, requested = c.request_verification(p, uuid.uuid4(), "Ada.New@un.org", OPEN_DAY)
    assert verification.email == "ada.new@un.org" and "ada" not in requested.model_dump_json()
    assert verify(c, p, verification) == [] and p.email == "ada.new@un.org"


# --- withdrawal frees a place for the first waiting --------------------------------------------


def test_a_withdrawal_admits_the_first_waiting():
    c = cohort(places=1)
    holder, first_waiting, second_waiting = register(c, "holder"), register(c, "w1"), register(c, "w2")
    events = c.withdraw(holder, by=WithdrawnBy.participant, erase_answers=False, now=OPEN_DAY)
    assert [type(e) for e in events] == [ParticipantWithdrawn, ParticipantAdmitted]
    assert admitted(events) == [first_waiting.id] and c.waitlist == [second_waiting.id] and c.places_taken == 1
    assert holder.status is ParticipantStatus.withdrawn and holder.withdrawn_by is WithdrawnBy.participant


def test_a_waiting_participant_who_withdraws_leaves_the_waitlist_and_admits_no_one():
    c = cohort(places=1)
    register(c, "holder")
    waiting, behind = register(c, "w1"), register(c, "w2")
    events = c.withdraw(waiting, by=WithdrawnBy.programme_team, erase_answers=False, now=OPEN_DAY)
    assert admitted(events) == [] and c.waitlist == [behind.id] and c.places_taken == 1
    assert waiting.waitlisted_at is None and waiting.withdrawn_by is WithdrawnBy.programme_team


def test_a_mentor_withdrawing_frees_no_place():
    c = cohort(places=1)
    mentor = register(c, "mentor", "mentor")
    register(c, "holder")
    register(c, "waiting")
    assert admitted(c.withdraw(mentor, by=WithdrawnBy.participant, erase_answers=False, now=OPEN_DAY)) == []


def test_a_withdrawal_happens_once():
    c = cohort()
    p = register(c, "p")
    c.withdraw(p, by=WithdrawnBy.participant, erase_answers=False, now=OPEN_DAY)
    with pytest.raises(StateConflict, match="withdrew at"):
        c.withdraw(p, by=WithdrawnBy.participant, erase_answers=False, now=OPEN_DAY)


def test_a_withdrawal_may_erase_the_answers_where_the_programme_allows():
    c = cohort()
    p = register(c, "ada")
    events = c.withdraw(p, by=WithdrawnBy.participant, erase_answers=True, now=OPEN_DAY)
    assert [type(e) for e in events] == [ParticipantWithdrawn, ParticipantAnswersErased]
    assert events[0].answers_erased is True
    assert p.answers_erased and p.email == f"erased+{p.id}@erased.invalid" and p.profile["display_name"] != "Ada"
    assert p.profile["grade"] == "P-3" and p.roles == [Role.mentee]  # kept for statistics

    keeping = cohort(answers_erasable=False)
    q = register(keeping, "bob")
    with pytest.raises(Refused) as refused:
        keeping.withdraw(q, by=WithdrawnBy.participant, erase_answers=True, now=OPEN_DAY)
    assert refused.value.violations[0].rule == "erasable_in_programme"
    assert q.status is ParticipantStatus.active  # nothing changed


def test_answers_are_erased_later_only_once_withdrawn_and_once():
    c = cohort()
    p = register(c, "ada")
    with pytest.raises(StateConflict, match="withdraw first"):
        c.erase_answers(p, OPEN_DAY)
    c.withdraw(p, by=WithdrawnBy.participant, erase_answers=False, now=OPEN_DAY)
    assert [type(e) for e in c.erase_answers(p, OPEN_DAY)] == [ParticipantAnswersErased]
    with pytest.raises(StateConflict, match="already erased"):
        c.erase_answers(p, OPEN_DAY)


# --- answers and roles move a participant between place and waitlist ---------------------------


def test_changing_answers_reports_what_changed_and_only_public_changes_travel():
    c = cohort()
    p = register(c, "ada")
    changed, events = c.change_answers(p, {"bio": "Drafts.", "email": "ADA@un.org"}, now=OPEN_DAY)
    assert changed == ["bio"] and [type(e) for e in events] == [ParticipantProfileUpdated]
    changed, events = c.change_answers(p, {"index_number": "UN-1"}, now=OPEN_DAY)
    assert changed == ["index_number"] and events == [] and p.index_number == "UN-1"
    assert c.change_answers(p, {"bio": "Drafts."}, now=OPEN_DAY) == ([], [])


# --- duty stations: the zone follows the station ---------------------------------------------


def test_a_registration_stores_the_derived_zone():
    c = cohort()
    participant = register_at(c, "amina", duty_station="nairobi", time_zone=None)
    assert participant.profile["duty_station"] == "Nairobi" and participant.profile["time_zone"] == "Africa/Nairobi"


def test_a_registration_with_a_wrong_zone_is_refused_with_the_other_reasons():
    with pytest.raises(Refused) as refused:
        cohort().register(
            participant_id=uuid.uuid4(),
            verification_id=uuid.uuid4(),
            person_id="p",
            answers=answers("p", duty_station="Bangkok", time_zone="Europe/Zurich", job_network="LOGNET"),
            already_registered=None,
            now=OPEN_DAY,
        )
    assert {(v.field, v.rule) for v in refused.value.violations} == {
        ("time_zone", "duty_station_time_zone"),
        ("job_network", "eligible_job_network"),
    }


def test_a_new_station_brings_its_zone_and_both_changes_travel():
    c = cohort()
    p = register(c, "ada")  # Geneva, Europe/Zurich
    changed, [updated] = c.change_answers(p, {"duty_station": "Bangkok"}, now=OPEN_DAY)
    assert changed == ["duty_station", "time_zone"]
    assert isinstance(updated, ParticipantProfileUpdated) and updated.changed == ["duty_station", "time_zone"]
    assert (updated.profile.duty_station, updated.profile.time_zone) == ("Bangkok", "Asia/Bangkok")
    assert c.change_answers(p, {"duty_station": "BANGKOK"}, now=OPEN_DAY) == ([], [])  # the same station, spelt otherwise
    with pytest.raises(Refused, match="not the time zone of Bangkok"):
        c.change_answers(p, {"time_zone": "Europe/Zurich"}, now=OPEN_DAY)
    changed, _ = c.change_answers(p, {"duty_station": "Tindouf", "time_zone": "Africa/Algiers"}, now=OPEN_DAY)
    assert changed == ["duty_station", "time_zone"]
    with pytest.raises(Refused) as refused:
        c.change_answers(p, {"time_zone": None}, now=OPEN_DAY)  # an unlisted station's zone cannot be dropped
    assert [(v.field, v.rule) for v in refused.value.violations] == [("time_zone", "required_for_unlisted_duty_station")]


def test_other_edits_leave_an_earlier_stations_zone_as_it_was():
    c = cohort()
    p = register(c, "old")
    p.profile["time_zone"] = "Europe/Paris"  # registered before the zone followed the station
    changed, _ = c.change_answers(p, {"skills": ["drafting"]}, now=OPEN_DAY)
    assert changed == ["skills"] and p.profile["time_zone"] == "Europe/Paris"
    p.profile["duty_station"] = "geneva"  # spelt as typed before the list
    changed, [updated] = c.change_answers(p, {"time_zone": None}, now=OPEN_DAY)
    assert changed == ["time_zone", "duty_station"] and updated.changed == changed
    assert (p.profile["duty_station"], p.profile["time_zone"]) == ("Geneva", "Europe/Zurich")


def register_at(c: Cohort, name: str, **changes: Any) -> Participant:
    participant, verification, _ = c.register(
        participant_id=uuid.uuid4(),
        verification_id=uuid.uuid4(),
        person_id=name,
        answers=answers(name, **changes),
        already_registered=None,
        now=OPEN_DAY,
    )
    verification.issue_link(OPEN_DAY)
    c.verify(participant, verification, address_taken=False, now=OPEN_DAY)
    return participant


def test_a_withdrawn_participant_cannot_edit():
    c = cohort()
    p = register(c, "ada")
    c.withdraw(p, by=WithdrawnBy.participant, erase_answers=False, now=OPEN_DAY)
    with pytest.raises(StateConflict, match="withdrawn"):
        c.change_answers(p, {"bio": "back"}, now=OPEN_DAY)


def test_a_mentee_becoming_a_mentor_frees_their_place_for_the_first_waiting():
    c = cohort(places=1)
    holder, waiting = register(c, "holder"), register(c, "waiting")
    changes = {"roles": ["mentor"], "mentor_capacity": 1}
    changed, events = c.change_answers(holder, changes, now=OPEN_DAY)
    assert set(changed) == {"roles", "mentor_capacity"}
    assert [type(e) for e in events] == [ParticipantProfileUpdated, ParticipantAdmitted]
    assert admitted(events) == [waiting.id] and c.waitlist == [] and c.places_taken == 1


def test_a_waiting_mentee_becoming_a_mentor_leaves_the_waitlist():
    c = cohort(places=1)
    register(c, "holder")
    waiting = register(c, "waiting")
    _, events = c.change_answers(waiting, {"roles": ["mentor"], "mentor_capacity": 1}, now=OPEN_DAY)
    assert admitted(events) == [] and c.waitlist == []
    assert waiting.status is ParticipantStatus.active and waiting.waitlisted_at is None


def test_a_mentor_becoming_a_mentee_takes_a_place_or_waits_at_the_end():
    c = cohort(places=1)
    mentor = register(c, "mentor", "mentor")
    c.change_answers(mentor, {"roles": ["mentor", "mentee"]}, now=OPEN_DAY)
    assert mentor.status is ParticipantStatus.active and c.places_taken == 1
    later = OPEN_DAY + timedelta(hours=1)
    other = register(c, "other", "mentor")
    _, events = c.change_answers(other, {"roles": ["mentee"], "mentor_capacity": None}, now=later)
    assert other.waitlisted and other.waitlisted_at == later and c.waitlist == [other.id]
    assert events[0].waitlisted is True


def test_after_closing_roles_change_only_by_a_grant():
    c = cohort(places=1)
    p = register(c, "ada")
    with pytest.raises(Refused) as refused:
        c.change_answers(p, {"roles": ["mentor"], "mentor_capacity": 1}, now=AFTER_CLOSE)
    assert ("roles", "closed_needs_grant") in {(v.field, v.rule) for v in refused.value.violations}
    changed, _ = c.change_answers(p, {"bio": "still editable"}, now=AFTER_CLOSE)
    assert changed == ["bio"]


def test_a_grant_needs_registration_closed_a_new_role_and_a_capacity_for_offering_roles():
    c = cohort(places=1)
    p = register(c, "ada")
    with pytest.raises(StateConflict, match="registration is open"):
        c.grant_role(p, Role.mentor, 1, OPEN_DAY)
    with pytest.raises(StateConflict, match="already a mentee"):
        c.grant_role(p, Role.mentee, None, AFTER_CLOSE)
    with pytest.raises(Refused) as refused:
        c.grant_role(p, Role.mentor, None, AFTER_CLOSE)
    assert refused.value.violations[0].field == "mentor_capacity"
    granted = c.grant_role(p, Role.mentor, 2, AFTER_CLOSE)
    assert isinstance(granted, ParticipantRoleGranted) and granted.granted_role is Role.mentor
    assert p.roles == [Role.mentee, Role.mentor] and p.mentor_capacity == 2 and c.places_taken == 1


def test_a_grant_of_a_seeking_role_takes_a_place_or_waits():
    c = cohort(places=1)
    register(c, "holder")
    mentor = register(c, "mentor", "mentor")
    with pytest.raises(Refused) as refused:
        c.grant_role(mentor, Role.mentee, 1, AFTER_CLOSE)
    assert refused.value.violations[0].rule == "offering_roles_only"
    granted = c.grant_role(mentor, Role.mentee, None, AFTER_CLOSE)
    assert granted.waitlisted and c.waitlist == [mentor.id]


def test_a_withdrawn_participant_gets_no_grant():
    c = cohort()
    p = register(c, "ada")
    c.withdraw(p, by=WithdrawnBy.participant, erase_answers=False, now=OPEN_DAY)
    with pytest.raises(StateConflict, match="withdrawn"):
        c.grant_role(p, Role.mentor, 1, AFTER_CLOSE)


# --- invariants over any sequence --------------------------------------------------------------

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["mentee", "mentor", "both", "unverified", "verify", "withdraw", "to_mentor", "to_mentee"]),
        st.integers(0, 30),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(places=st.integers(1, 4), actions=ACTIONS)
def test_places_are_never_exceeded_and_the_first_waiting_is_admitted_first(places: int, actions: list[tuple[str, int]]):
    c = cohort(places=places)
    everyone: dict[uuid.UUID, Participant] = {}
    unverified: list[tuple[Participant, AddressVerification]] = []
    now = OPEN_DAY
    for n, (action, pick) in enumerate(actions):
        now += timedelta(minutes=1)
        present = [p for p in everyone.values() if not p.withdrawn]
        target = present[pick % len(present)] if present else None
        waited_longest = list(c.waitlist)
        events: list[Any] = []
        if action in ("mentee", "mentor", "both"):
            roles = {"mentee": ["mentee"], "mentor": ["mentor"], "both": ["mentor", "mentee"]}[action]
            p = register(c, f"p{n}", *roles, now=now)
            everyone[p.id] = p
        elif action == "unverified":
            p, verification = register_unverified(c, f"p{n}", now=now)
            everyone[p.id] = p
            unverified.append((p, verification))
        elif action == "verify":
            if unverified and not (chosen := unverified.pop(pick % len(unverified)))[0].withdrawn:
                verify(c, *chosen, now=now)
        elif target is None:
            continue
        elif action == "withdraw":
            events = c.withdraw(target, by=WithdrawnBy.participant, erase_answers=False, now=now)
        else:
            roles = ["mentor"] if action == "to_mentor" else ["mentee"]
            changes = {"roles": roles, "mentor_capacity": 1 if action == "to_mentor" else None}
            _, events = c.change_answers(target, changes, now=now)
        for admission in admitted(events):
            everyone[admission].status, everyone[admission].waitlisted_at = ParticipantStatus.active, None
        assert admitted(events) == waited_longest[: len(admitted(events))]  # first waiting, first admitted

        holders = [p for p in everyone.values() if c.holds_place(p)]
        waiting = [p for p in everyone.values() if p.waitlisted]
        assert c.places_taken == len(holders) <= places
        assert [p.id for p in sorted(waiting, key=lambda p: (p.waitlisted_at, str(p.id)))] == c.waitlist
        assert not waiting or len(holders) == places  # no one waits while a place is free
        assert all(seeks_partner(p.roles) for p in waiting)
        assert all((p.status is ParticipantStatus.waitlisted) == (p.waitlisted_at is not None) for p in everyone.values())
        assert not any(c.holds_place(p) or p.waitlisted for p in everyone.values() if not p.verified)
