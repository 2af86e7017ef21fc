"""The synthetic cohort generator: deterministic, realistic in shape, and its forms agree."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import fields
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, available_timezones

import numpy as np
import pytest

from together_contracts.registration import GRADES, AppointmentType, PublicProfile, Role, grade_rank
from together_synthetic import FAMILIES, QUESTIONNAIRE_KEYS, CohortColumns, generate_coaching_cohort, generate_cohort
from together_synthetic import vocabulary as v
from together_synthetic.cohort import _categorical

SEED = 20261123
TOPIC_NAMES = [t.name for t in v.TOPICS]
STAFF_APPOINTMENTS = {"fixed_term", "continuing", "permanent"}  # the types mentoring accepts


@pytest.fixture(scope="module")
def cohort():
    return generate_cohort(SEED, mentors=1_200, mentees=2_000)


@pytest.fixture(scope="module")
def large():
    return generate_cohort(SEED, mentors=12_000, mentees=20_000)


def bitmask(items, vocabulary) -> int:
    return sum(1 << vocabulary.index(item) for item in items)


def bits(masks: np.ndarray, size: int) -> np.ndarray:
    """A bitmask column as a boolean matrix (rows x items)."""
    return ((masks.astype(np.uint64)[:, None] >> np.arange(size, dtype=np.uint64)) & np.uint64(1)).astype(bool)


def digest(cohort) -> str:
    columns = cohort.columns()
    h = hashlib.sha256()
    for f in fields(CohortColumns):
        h.update(getattr(columns, f.name).tobytes())
    for p in cohort.participants()[:50] + cohort.participants()[-50:]:
        h.update(json.dumps(p.questionnaire(), sort_keys=True).encode())
    return h.hexdigest()


# --- Determinism ------------------------------------------------------------------------------


def test_same_seed_and_sizes_give_the_same_people():
    a, b = generate_cohort(11, 300, 500), generate_cohort(11, 300, 500)
    assert digest(a) == digest(b)
    assert [p.questionnaire() for p in a.mentees] == [p.questionnaire() for p in b.mentees]


def test_another_seed_gives_other_people():
    a, b = generate_cohort(11, 300, 500), generate_cohort(12, 300, 500)
    assert digest(a) != digest(b)
    assert sum(x.name == y.name and x.grade == y.grade for x, y in zip(a.mentees, b.mentees, strict=True)) < 50


def test_same_people_in_another_process_whatever_its_hash_seed():
    script = "from together_synthetic import generate_cohort; import sys; sys.path.insert(0, sys.argv[1]); " + (
        "from test_synthetic import digest; print(digest(generate_cohort(11, 300, 500)))"
    )
    here = os.path.dirname(__file__)
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script, here],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert outputs == {digest(generate_cohort(11, 300, 500))}


# --- Sizes and roles --------------------------------------------------------------------------


def test_sizes_and_people_in_both_roles(cohort):
    assert len(cohort.mentors) == 1_200 and len(cohort.mentees) == 2_000
    both = [p for p in cohort.mentors if "mentee" in p.roles]
    assert len(both) == cohort.both_count == 120  # 10% of the smaller side
    assert {p.row for p in both} == {p.row for p in cohort.mentees if "mentor" in p.roles}
    assert len(cohort) == 1_200 + 2_000 - 120
    assert all(p.roles == ("mentor", "mentee") for p in both)
    assert len(cohort.columns("mentor")) == 1_200 and len(cohort.columns("mentee")) == 2_000


@pytest.mark.parametrize(("mentors", "mentees"), [(0, 0), (0, 7), (5, 0), (1, 1)])
def test_any_size_even_empty(mentors, mentees):
    small = generate_cohort(3, mentors, mentees)
    assert (len(small.mentors), len(small.mentees)) == (mentors, mentees)


def test_a_role_the_kind_lacks_is_refused(cohort):
    with pytest.raises(ValueError, match="coach"):
        cohort.columns("coach")


def test_large_columnar_cohort_has_every_row(large):
    columns = large.columns()
    assert len(columns) == 12_000 + 20_000 - 1_200
    assert all(len(getattr(columns, f.name)) == len(columns) for f in fields(CohortColumns))


# --- The questionnaire and the profile ---------------------------------------------------------


def test_questionnaire_has_exactly_the_registration_keys(cohort):
    for p in cohort.participants():
        answers = p.questionnaire()
        assert tuple(answers) == QUESTIONNAIRE_KEYS
        assert json.loads(json.dumps(answers)) == answers  # JSON-ready


def test_answers_are_valid_registration_answers(cohort):
    appointment_types = {t.value for t in AppointmentType}
    for p in cohort.participants():
        q = p.questionnaire()
        assert q["grade"] in GRADES and q["appointment_type"] in appointment_types
        assert q["languages"] and set(q["languages"]) <= set(v.LANGUAGES)
        assert set(q["skills"]) <= set(TOPIC_NAMES) and set(q["goals"]) <= set(TOPIC_NAMES)
        assert 0 <= q["years_of_service"] <= 40 and q["preferred_language"] in ("en", "fr", "es")
        assert {Role(r) for r in q["roles"]} <= {Role.mentor, Role.mentee}
        assert (q["mentor_capacity"] in (1, 2)) == ("mentor" in q["roles"]) and q["coach_capacity"] is None
        assert q["job_family"] in v.JOB_FAMILIES[q["job_network"]]
        assert q["email"].endswith("@un.org") and q["index_number"].isdigit()
        words = [q["name"], q["entity"], q["duty_station"], q["time_zone"], *q["languages"], *q["skills"], *q["goals"]]
        assert all(0 < len(w) <= 100 for w in words)  # the registration API's length limits
        assert q["bio"] is None or len(q["bio"]) <= 300
        assert q["linkedin_url"] is None or q["linkedin_url"].startswith("https://www.linkedin.com/in/")
        profile = p.profile()
        assert isinstance(profile, PublicProfile)
        assert (profile.display_name, profile.grade, profile.languages) == (q["name"], q["grade"], q["languages"])


def test_emails_and_index_numbers_are_unique(cohort):
    people = cohort.participants()
    assert len({p.email for p in people}) == len({p.index_number for p in people}) == len(people)


# --- Columns and people are the same -----------------------------------------------------------


def test_columns_agree_with_the_people(cohort):
    c = cohort.columns()
    offsets = c.utc_offset_minutes(datetime(2027, 1, 11, 12, tzinfo=UTC))
    for p in cohort.participants():
        r = p.row
        assert c.grade_rank[r] == grade_rank(p.grade)
        assert c.years_of_service[r] == p.years_of_service
        assert v.JOB_NETWORKS[c.job_network[r]] == p.job_network and FAMILIES[c.job_family[r]] == p.job_family
        assert v.ENTITIES[c.entity[r]] == p.entity and v.DUTY_STATIONS[c.duty_station[r]].time_zone == p.time_zone
        assert c.languages[r] == bitmask(p.languages, v.LANGUAGES)
        assert c.skills[r] == bitmask(p.skills, TOPIC_NAMES) and c.goals[r] == bitmask(p.goals, TOPIC_NAMES)
        assert c.activities[r] == bitmask(p.favourite_activities, [a for a, _ in v.FAVOURITE_ACTIVITIES])
        assert v.APPOINTMENT_TYPES[c.appointment_type[r]] == p.appointment_type
        assert (bool(c.giver[r]), bool(c.taker[r])) == ("mentor" in p.roles, "mentee" in p.roles)
        assert c.capacity[r] == (p.mentor_capacity or 0) and str(c.index_number[r]) == p.index_number
        assert v.GENDERS[c.gender[r]] == p.gender
        local = datetime(2027, 1, 11, 12, tzinfo=UTC).astimezone(ZoneInfo(p.time_zone))
        assert offsets[r] == local.utcoffset().total_seconds() // 60


def test_role_columns_are_the_rows_of_that_role(cohort):
    mentees = cohort.columns("mentee")
    assert [grade_rank(p.grade) for p in cohort.mentees] == mentees.grade_rank.tolist()
    assert [p.row for p in cohort.mentees] == list(range(len(cohort)))[cohort.taker_rows]


# --- Realistic shapes -------------------------------------------------------------------------


def test_every_time_zone_is_a_real_iana_zone(large):
    zones = available_timezones()
    assert all(s.time_zone in zones for s in v.DUTY_STATIONS)
    used = {v.DUTY_STATIONS[i].time_zone for i in np.unique(large.columns().duty_station)}
    assert used <= zones and len(used) >= 20
    # the cohort spans the date line: Apia (UTC+13) is 18 hours ahead of New York in January
    offsets = large.columns().utc_offset_minutes(datetime(2027, 1, 11, 12, tzinfo=UTC))
    assert offsets.max() == 13 * 60 and offsets.max() - offsets.min() >= 18 * 60


def test_grades_in_realistic_proportions(large):
    category = np.array([v.grade_category(g) for g in GRADES])
    mentees, mentors = large.columns("mentee"), large.columns("mentor")
    mentee_share = np.bincount(category[mentees.grade_rank], minlength=5) / len(mentees)
    mentor_share = np.bincount(category[mentors.grade_rank], minlength=5) / len(mentors)
    g, no, fs, p, d = mentee_share
    assert 0.35 <= g <= 0.55 and 0.04 <= no <= 0.12 and 0.06 <= fs <= 0.15 and 0.25 <= p <= 0.45 and d <= 0.03
    assert 0.45 <= mentor_share[3] <= 0.70 and 0.10 <= mentor_share[4] <= 0.30  # mentors: P and D
    assert np.median(mentors.grade_rank) > np.median(mentees.grade_rank)
    assert set(np.unique(large.columns().grade_rank)) == set(range(len(GRADES)))  # every grade occurs


def test_years_of_service_grow_with_grade(large):
    c = large.columns()
    years_by_grade = {g: c.years_of_service[c.grade_rank == grade_rank(g)].mean() for g in ("G-3", "G-6", "P-2", "P-4", "D-1")}
    assert years_by_grade["G-3"] < years_by_grade["G-6"] and years_by_grade["P-2"] < years_by_grade["P-4"] < years_by_grade["D-1"]
    assert 7 <= c.years_of_service[c.taker].mean() <= 13  # the Secretariat's average is about 9


def test_field_service_and_national_officers_serve_where_they_do(large):
    c = large.columns()
    kind = np.array([s.kind for s in v.DUTY_STATIONS])[c.duty_station]
    grades = np.array(GRADES)[c.grade_rank]
    assert set(kind[np.char.startswith(grades, "FS-")]) <= {"mission", "service_centre"}
    assert set(kind[np.char.startswith(grades, "NO-")]) <= {"mission", "service_centre", "field"}
    new_york = c.duty_station == [s.name for s in v.DUTY_STATIONS].index("New York")
    assert 0.12 <= new_york.mean() <= 0.30  # the largest duty station, not the only one


def test_ineligible_appointment_types_occur_at_a_realistic_rate(large):
    c = large.columns()
    staff = np.isin(np.array(v.APPOINTMENT_TYPES)[c.appointment_type], list(STAFF_APPOINTMENTS))
    assert 0.04 <= 1 - staff.mean() <= 0.15
    assert set(np.unique(c.appointment_type)) == set(range(len(v.APPOINTMENT_TYPES)))


def test_popular_goals_make_contention(large):
    goals = bits(large.columns("mentee").goals, len(v.TOPICS))
    skills = bits(large.columns("mentor").skills, len(v.TOPICS))
    popular = np.argsort(-goals.sum(axis=0), kind="stable")[: max(1, len(v.TOPICS) // 10)]  # the top 10% of topics
    assert goals[:, popular].any(axis=1).mean() >= 0.6  # most mentees want at least one of them
    # and few mentors offer them: demand per mentor offering is far above the average topic's
    demand = goals.sum(axis=0) / np.maximum(skills.sum(axis=0), 1)
    assert demand[popular].mean() >= 3 * goals.sum() / skills.sum()


def test_language_is_a_real_constraint(large):
    mentors, mentees = large.columns("mentor"), large.columns("mentee")
    per_mask = np.bincount(mentors.languages, minlength=1 << len(v.LANGUAGES))
    speaking = np.array([per_mask[(np.arange(len(per_mask)) & mask) != 0].sum() for mask in range(len(per_mask))])
    shares = speaking[mentees.languages] / len(mentors)  # share of mentors each mentee can meet with
    assert 0.03 <= (shares < 0.5).mean() <= 0.25
    english, french, spanish = (1 << v.LANGUAGES.index(x) for x in ("English", "French", "Spanish"))
    assert ((mentees.languages == french).sum() > 0) and ((mentees.languages == spanish).sum() > 0)
    assert 0.80 <= ((mentees.languages & english) != 0).mean() <= 0.97
    # nobody lacks all three meeting languages; who lacks English prefers French or Spanish
    assert ((mentees.languages & (english | french | spanish)) != 0).all()
    assert (mentees.preferred_language[(mentees.languages & english) == 0] > 0).all()


def test_gender_shares(large):
    share = np.bincount(large.columns().gender, minlength=4) / len(large)
    female, male, other, not_stated = share
    assert 0.38 <= female <= 0.55 and 0.40 <= male <= 0.60 and other < 0.03 and not_stated < 0.06


# --- Coaching ----------------------------------------------------------------------------------


def test_coaching_cohort_has_coaches_with_expertise_and_capacity():
    coaching = generate_coaching_cohort(SEED, coaches=200, clients=600)
    assert len(coaching.coaches) == 200 and len(coaching.clients) == 600
    areas = [a for a, _ in v.EXPERTISE_AREAS]
    for coach in coaching.coaches:
        assert coach.roles == ("coach",) and coach.coach_capacity in (1, 2, 3) and coach.mentor_capacity is None
        assert 1 <= len(coach.expertise_areas) <= 3 and set(coach.expertise_areas) <= set(areas)
    for client in coaching.clients:
        assert client.roles == ("client",) and client.coach_capacity is None and client.expertise_areas == ()
    assert {c.coach_capacity for c in coaching.coaches} == {1, 2, 3}
    with pytest.raises(ValueError):
        coaching.mentors  # noqa: B018


def test_an_item_of_weight_zero_is_never_drawn(large):
    # even a uniform draw just under 1 (above a total rounded down) lands on the last item with a weight
    class TopOfRange:
        def random(self, n):
            return np.full(n, np.nextafter(1.0, 0.0))

    weights = np.array([[0.0, 0.13, 0.68, 0.66, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0]])  # the first row's total rounds below 1
    assert _categorical(TopOfRange(), weights, np.array([0, 1])).tolist() == [3, 0]
    # takers' weights for ASG and USG are zero
    takers_only = large.columns().take(slice(large.taker_rows.start + large.both_count, None))
    assert not np.isin(takers_only.grade_rank, [grade_rank("ASG"), grade_rank("USG")]).any()
