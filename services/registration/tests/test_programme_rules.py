"""Each kind's default rules reproduce the seeds; a programme team overrides any part, within limits."""

from __future__ import annotations

from registration.domain.programme_rules import DEFAULT_RULES, apply_override, default_rules, merged
from registration.domain.questionnaire import FIELDS, TEAM_ONLY, Visibility
from together_contracts.registration import AppointmentType, ProgrammeKind, Role

STAFF = {AppointmentType.fixed_term, AppointmentType.continuing, AppointmentType.permanent}


def rules(v: list) -> set[tuple[str, str]]:
    return {(x.field, x.rule) for x in v}


def test_the_2020_pilot_defaults():
    pilot = default_rules(ProgrammeKind.mentoring)
    assert set(pilot.roles) == {Role.mentor, Role.mentee}
    assert pilot.roles[Role.mentee].job_networks == ["POLNET", "DEVNET", "INFONET"]
    assert pilot.roles[Role.mentor].job_networks is None  # mentors from all job networks
    assert all(set(r.appointment_types) == STAFF for r in pilot.roles.values())
    assert (pilot.roles[Role.mentor].min_capacity, pilot.roles[Role.mentor].max_capacity) == (1, 2)
    assert pilot.session_plan.period_months == 4 and pilot.session_plan.meeting_interval == "twice a month"
    assert pilot.meeting_languages == ["English", "French"]
    assert pilot.answers_erasable


def test_the_coaching_defaults():
    coaching = default_rules(ProgrammeKind.coaching)
    assert set(coaching.roles) == {Role.coach, Role.client}
    assert set(coaching.roles[Role.client].appointment_types) == STAFF | {AppointmentType.temporary}
    assert (coaching.roles[Role.coach].min_capacity, coaching.roles[Role.coach].max_capacity) == (1, 3)
    plan = coaching.session_plan
    assert plan.session_minutes == 45 and plan.meeting_interval == "monthly"
    assert plan.agenda[0] == "introduction" and len(plan.agenda) == 6  # intro + 5 sessions


def test_every_kind_has_valid_defaults_and_never_admits_non_staff():
    assert set(DEFAULT_RULES) == set(ProgrammeKind)
    for kind, kind_rules in DEFAULT_RULES.items():
        assert apply_override(kind, kind_rules, {}) == (kind_rules, [])
        for role_rules in kind_rules.roles.values():
            assert not {
                AppointmentType.consultant,
                AppointmentType.contractor,
                AppointmentType.intern,
                AppointmentType.unv,
            } & set(role_rules.appointment_types)
    reverse = DEFAULT_RULES[ProgrammeKind.reverse_mentoring]
    assert reverse.roles[Role.mentor].max_capacity == 1 and reverse.session_plan.period_months == 3


def test_an_override_merges_over_the_defaults():
    pilot = default_rules(ProgrammeKind.mentoring)
    changed, violations = apply_override(
        ProgrammeKind.mentoring,
        pilot,
        {"roles": {"mentee": {"job_networks": ["LOGNET"]}}, "session_plan": {"period_months": 6}, "answers_erasable": False},
    )
    assert violations == []
    assert changed.roles[Role.mentee].job_networks == ["LOGNET"]
    assert changed.roles[Role.mentee].appointment_types == pilot.roles[Role.mentee].appointment_types  # kept
    assert changed.roles[Role.mentor] == pilot.roles[Role.mentor]
    assert changed.session_plan.period_months == 6 and changed.session_plan.meeting_interval == "twice a month"
    assert changed.answers_erasable is False
    assert merged({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": 3}, "d": [2]}) == {"a": {"b": 3, "c": 2}, "d": [2]}


def test_an_override_is_refused_with_every_reason():
    _, violations = apply_override(
        ProgrammeKind.mentoring,
        default_rules(ProgrammeKind.mentoring),
        {
            "roles": {
                "coach": {"appointment_types": ["permanent"], "min_capacity": 1, "max_capacity": 2},
                "mentor": {"appointment_types": ["permanent", "consultant"], "min_capacity": 3, "max_capacity": 2},
                "mentee": {"min_capacity": 1},
            },
            "session_plan": {"period_months": 0},
            "meeting_languages": [],
            "matching_weights": {"skills": float("inf"), "grade": -1},
        },
    )
    assert rules(violations) == {
        ("rules.roles.coach", "role_of_kind"),
        ("rules.roles.mentor.appointment_types", "never_eligible"),
        ("rules.roles.mentor.max_capacity", "capacity_bounds"),
        ("rules.roles.mentee.max_capacity", "offering_roles_only"),
        ("rules.session_plan.period_months", "between_1_and_36"),
        ("rules.meeting_languages", "at_least_one"),
        ("rules.matching_weights.skills", "between_0_and_1000"),
        ("rules.matching_weights.grade", "between_0_and_1000"),
    }


def test_unknown_rules_bad_types_and_control_characters_are_named():
    pilot = default_rules(ProgrammeKind.mentoring)
    _, unknown = apply_override(
        ProgrammeKind.mentoring, pilot, {"colour": "red", "roles": {"mentee": {"networks": []}}, "session_plan": {"x": 1}}
    )
    assert rules(unknown) == {
        ("rules.colour", "unknown_rule"),
        ("rules.roles.mentee.networks", "unknown_rule"),
        ("rules.session_plan.x", "unknown_rule"),
    }
    _, typed = apply_override(ProgrammeKind.mentoring, pilot, {"session_plan": {"period_months": "long"}})
    assert [v.field for v in typed] == ["rules.session_plan.period_months"]
    _, control = apply_override(ProgrammeKind.mentoring, pilot, {"meeting_languages": ["Eng\x00lish"]})
    assert rules(control) == {("rules.meeting_languages.0", "no_control_characters")}


def test_a_programme_names_its_teams_mailbox_one_address_on_one_line():
    pilot = default_rules(ProgrammeKind.mentoring)
    assert pilot.team_mailbox is None  # no default: a deployment names its own
    named, violations = apply_override(ProgrammeKind.mentoring, pilot, {"team_mailbox": "mentoring@un.org"})
    assert violations == [] and named.team_mailbox == "mentoring@un.org"
    for bad in ("mentoring", "a@b.c, d@e.f", "x" * 250 + "@un.org"):
        _, refused = apply_override(ProgrammeKind.mentoring, pilot, {"team_mailbox": bad})
        assert rules(refused) == {("rules.team_mailbox", "mailbox_address")}, bad
    _, header_injection = apply_override(ProgrammeKind.mentoring, pilot, {"team_mailbox": "a@b.org\r\nBcc: c@d.org"})
    assert rules(header_injection) == {("rules.team_mailbox", "no_control_characters")}
    cleared, violations = apply_override(ProgrammeKind.mentoring, named, {"team_mailbox": None})
    assert violations == [] and cleared.team_mailbox is None


def test_the_questionnaire_marks_team_only_answers():
    assert TEAM_ONLY == {"email", "index_number", "appointment_type", "preferred_language"}
    names = [f.name for f in FIELDS]
    assert names == [
        "name", "email", "index_number", "appointment_type", "entity", "duty_station", "time_zone", "grade",
        "years_of_service", "job_network", "job_family", "languages", "gender", "skills", "goals",
        "favourite_activities", "expertise_areas", "linkedin_url", "bio", "preferred_language", "roles",
        "mentor_capacity", "coach_capacity",
    ]  # fmt: skip
    assert all(f.visibility is Visibility.public for f in FIELDS if f.name not in TEAM_ONLY)
