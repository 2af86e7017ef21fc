"""Registration refuses with every reason at once; eligibility follows the programme's rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from registration.domain.dates import Window, cohort_date_violations
from registration.domain.eligibility import Answers, answer_violations, edit_violations, registration_violations
from registration.domain.programme_rules import default_rules
from together_contracts.registration import GRADES, AppointmentType, ProgrammeKind, Role, grade_rank

WINDOW = Window(opens=date(2026, 11, 1), closes=date(2026, 11, 30))
MENTORING = default_rules(ProgrammeKind.mentoring)
COACHING = default_rules(ProgrammeKind.coaching)
MENTOR = Answers(
    appointment_type=AppointmentType.permanent,
    entity="Secretariat",
    job_network="LOGNET",  # mentors come from every job network
    grade="P-4",
    languages=["English"],
    roles=[Role.mentor],
    mentor_capacity=2,
)
MENTEE = replace(MENTOR, job_network="POLNET", grade="G-5", roles=[Role.mentee], mentor_capacity=None)


def rules(v: list) -> set[tuple[str, str]]:
    return {(x.field, x.rule) for x in v}


def test_grades_are_ordered_across_categories():
    order = ["G-7", "NO-A", "NO-D", "FS-1", "FS-7", "P-1", "P-5", "D-1", "D-2", "ASG", "USG"]
    assert [grade_rank(g) for g in order] == sorted(grade_rank(g) for g in order)
    assert grade_rank("G-1") == 0 and GRADES[-1] == "USG"


def test_a_valid_mentor_and_mentee_pass():
    assert registration_violations(today=date(2026, 11, 10), window=WINDOW, rules=MENTORING, answers=MENTOR) == []
    assert registration_violations(today=date(2026, 11, 30), window=WINDOW, rules=MENTORING, answers=MENTEE) == []


def test_every_reason_at_once():
    answers = replace(
        MENTEE,
        appointment_type=AppointmentType.consultant,
        job_network="LOGNET",
        grade="P-9",
        languages=["Swahili"],
        roles=[Role.mentee, Role.mentee],
        mentor_capacity=3,
    )
    violations = registration_violations(today=date(2026, 12, 5), window=WINDOW, rules=MENTORING, answers=answers)
    assert rules(violations) == {
        ("cohort", "registration_window"),
        ("grade", "known_grade"),
        ("languages", "meeting_language"),
        ("roles", "unique"),
        ("appointment_type", "eligible_appointment_type"),
        ("job_network", "eligible_job_network"),
        ("mentor_capacity", "mentors_only"),
    }
    messages = {v.rule: v.message for v in violations}
    assert (
        messages["registration_window"]
        == "registration for this cohort closed on 2026-11-30, its last day (it opened on 2026-11-01)"
    )
    assert messages["eligible_appointment_type"] == "appointment type 'consultant' is not eligible for this programme"
    assert messages["eligible_job_network"].startswith("job network 'LOGNET' is not open to mentees in this cohort")


def test_the_window_includes_both_days_and_an_early_close_ends_it():
    assert WINDOW.is_open(date(2026, 11, 1)) and WINDOW.is_open(date(2026, 11, 30))
    assert not WINDOW.is_open(date(2026, 10, 31)) and not WINDOW.is_open(date(2026, 12, 1))
    closed = replace(WINDOW, closed_on=date(2026, 11, 20))
    assert not closed.is_open(date(2026, 11, 21))
    assert "closed early, on 2026-11-20" in closed.refusal(date(2026, 11, 21)).message


def test_the_window_refusal_says_whether_registration_is_not_open_yet_or_closed_and_when_in_three_languages():
    before, after = date(2026, 10, 31), date(2026, 12, 5)
    assert [WINDOW.refusal(before, language).message for language in ("en", "fr", "es")] == [
        "registration for this cohort is not open yet: it opens on 2026-11-01 and its last day is 2026-11-30",
        "les inscriptions à cette cohorte ne sont pas encore ouvertes : elles ouvrent le 2026-11-01 "
        "et leur dernier jour est le 2026-11-30",
        "la inscripción en esta cohorte aún no está abierta: se abre el 2026-11-01 y su último día es el 2026-11-30",
    ]
    closed = [WINDOW.refusal(after, language).message for language in ("en", "fr", "es")]
    assert closed == [
        "registration for this cohort closed on 2026-11-30, its last day (it opened on 2026-11-01)",
        "les inscriptions à cette cohorte ont fermé le 2026-11-30, leur dernier jour (elles avaient ouvert le 2026-11-01)",
        "la inscripción en esta cohorte se cerró el 2026-11-30, su último día (se había abierto el 2026-11-01)",
    ]
    assert all("is open from" not in message for message in closed)
    # Closed by the cohort closer the day after its last day, or by the team on it: closed on its last day all the same.
    for closed_on in (date(2026, 11, 30), date(2026, 12, 1)):
        assert replace(WINDOW, closed_on=closed_on).refusal(after).message == closed[0]
    early = replace(WINDOW, closed_on=date(2026, 11, 20)).refusal(date(2026, 11, 21), "fr").message
    assert early == (
        "les inscriptions à cette cohorte ont été closes plus tôt que prévu, le 2026-11-20 "
        "(elles devaient rester ouvertes jusqu'au 2026-11-30)"
    )


def test_a_mentor_with_both_roles_meets_both_roles_rules():
    both = replace(MENTOR, roles=[Role.mentor, Role.mentee])  # LOGNET: fine as a mentor, not as a mentee
    assert rules(answer_violations(MENTORING, both)) == {("job_network", "eligible_job_network")}
    assert answer_violations(MENTORING, replace(both, job_network="INFONET")) == []


def test_never_eligible_appointments_are_refused_once_even_with_two_roles():
    for never in (AppointmentType.consultant, AppointmentType.contractor, AppointmentType.intern, AppointmentType.unv):
        violations = answer_violations(
            MENTORING, replace(MENTOR, roles=[Role.mentor, Role.mentee], job_network="DEVNET", appointment_type=never)
        )
        assert [v.rule for v in violations] == ["eligible_appointment_type"]


def test_coaching_clients_may_be_temporary_but_coaches_not():
    client = replace(MENTEE, roles=[Role.client], appointment_type=AppointmentType.temporary, job_network="LOGNET")
    assert answer_violations(COACHING, client) == []
    coach = replace(client, roles=[Role.coach], coach_capacity=3)
    assert rules(answer_violations(COACHING, coach)) == {("appointment_type", "eligible_appointment_type")}
    assert "as coach" in answer_violations(COACHING, coach)[0].message


def test_capacities_are_within_the_programmes_bounds():
    assert rules(answer_violations(MENTORING, replace(MENTOR, mentor_capacity=None))) == {
        ("mentor_capacity", "required_for_mentors")
    }
    assert rules(answer_violations(MENTORING, replace(MENTOR, mentor_capacity=3))) == {("mentor_capacity", "between_1_and_2")}
    coach = replace(MENTOR, roles=[Role.coach], mentor_capacity=None, coach_capacity=4)
    assert rules(answer_violations(COACHING, coach)) == {("coach_capacity", "between_1_and_3")}
    assert answer_violations(COACHING, replace(coach, coach_capacity=3)) == []
    assert rules(answer_violations(COACHING, replace(coach, mentor_capacity=1, coach_capacity=1))) == {
        ("mentor_capacity", "mentors_only")
    }


def test_roles_belong_to_the_programme_and_only_mentor_and_mentee_combine():
    assert rules(answer_violations(MENTORING, replace(MENTEE, roles=[Role.client]))) == {("roles", "role_of_programme")}
    coach_and_client = replace(MENTEE, roles=[Role.coach, Role.client], coach_capacity=1)
    assert ("roles", "combinable") in rules(answer_violations(COACHING, coach_and_client))


def test_the_secretariat_is_eligible_by_default_and_other_entities_only_when_the_programme_lists_them():
    for secretariat in ("Secretariat", "UN Secretariat", "desa", "OHCHR", "ECLAC", "UNMISS"):
        assert answer_violations(MENTORING, replace(MENTEE, entity=secretariat)) == [], secretariat
    refused = answer_violations(MENTORING, replace(MENTEE, entity="UNICEF"))
    assert rules(refused) == {("entity", "eligible_entity")}
    assert refused[0].message == "entity 'UNICEF' is not eligible for this programme, which is open to the Secretariat"
    with_partners = MENTORING.model_copy(update={"entities": ["ITC", "ISA"]})
    assert answer_violations(with_partners, replace(MENTOR, entity="itc")) == []
    [unicef] = answer_violations(with_partners, replace(MENTOR, entity="UNICEF"), "fr")
    assert unicef.message == "l'entité « UNICEF » n'est pas admise dans ce programme, ouvert au Secrétariat ainsi qu'à ITC et ISA"
    [spanish] = answer_violations(with_partners, replace(MENTOR, entity="UNICEF"), "es")
    assert spanish.message == "la entidad «UNICEF» no es elegible para este programa, abierto a la Secretaría y a ITC y ISA"


def test_a_role_with_its_own_list_of_entities_takes_those_it_names():
    restricted = MENTORING.model_copy(
        update={
            "entities": ["ISA"],
            "roles": {
                **MENTORING.roles,
                Role.mentee: MENTORING.roles[Role.mentee].model_copy(update={"entities": ["Secretariat", "ITC"]}),
            },
        }
    )
    assert answer_violations(restricted, replace(MENTEE, entity="itc")) == []
    assert answer_violations(restricted, replace(MENTEE, entity="DPPA")) == []  # "Secretariat" names its own entities
    [isa] = answer_violations(restricted, replace(MENTEE, entity="ISA"))
    assert (isa.rule, isa.message) == (
        "eligible_entity",
        "entity 'ISA' is not open to mentees in this programme; eligible: Secretariat, ITC",
    )
    assert answer_violations(restricted, replace(MENTOR, entity="ISA")) == []  # mentors: the programme's list
    assert rules(answer_violations(restricted, replace(MENTOR, entity="ITC"))) == {("entity", "eligible_entity")}


def test_after_closing_roles_need_a_grant_and_other_answers_are_still_checked():
    closed = dict(roles_changed=False, registration_open=False)
    assert edit_violations(MENTORING, replace(MENTOR, mentor_capacity=1, languages=["French"]), **closed) == []
    assert rules(edit_violations(MENTORING, replace(MENTOR, mentor_capacity=5), **closed)) == {
        ("mentor_capacity", "between_1_and_2")
    }
    assert rules(edit_violations(MENTORING, MENTOR, roles_changed=True, registration_open=False)) == {
        ("roles", "closed_needs_grant")
    }
    assert edit_violations(MENTORING, MENTOR, roles_changed=True, registration_open=True) == []
    ineligible = replace(MENTOR, appointment_type=AppointmentType.intern, roles=[Role.mentor, Role.mentee])
    assert rules(edit_violations(MENTORING, ineligible, roles_changed=True, registration_open=True)) == {
        ("appointment_type", "eligible_appointment_type"),
        ("job_network", "eligible_job_network"),
    }


def test_cohort_dates_in_order():
    assert cohort_date_violations(date(2026, 1, 10), date(2026, 1, 31), date(2026, 2, 1), date(2026, 6, 1)) == []
    bad = cohort_date_violations(date(2026, 1, 31), date(2026, 1, 10), date(2026, 1, 5), date(2026, 1, 5))
    assert rules(bad) == {
        ("registration_closes_on", "not_before_opening"),
        ("starts_on", "after_registration"),
        ("ends_on", "after_start"),
    }
