"""Step 8: the cohort ends. Registration's clock passes the cohort's end date: pairing completes the pairings
still open, scheduling asks both partners for the final assessment and the post-programme survey, Ravi and
Amina answer, and the programme team reads the cohort's outcomes report (groups under five people hidden)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from deploy.demo.calls import URL, Demo, eventually, ok, until
from deploy.demo.cast import Cohort
from deploy.demo.console import DIM, RESET, say, step

SKILLS = ["negotiation", "public speaking"]


async def ravi_and_amina_set_their_goals(demo: Demo, cohort: Cohort, pairing_id: str) -> None:
    """The pre-programme survey was asked at registration; the agreement names what the final assessment rates."""
    http = demo.http
    step("   Ravi and Amina answer the pre-programme survey they were asked at registration, and agree their goals")
    ravi, amina = cohort.ids["Ravi"], cohort.ids["Amina"]
    await demo.tail.seen_all(
        ("OutcomeRequested", {"participant_id": ravi, "kind": "pre_survey"}),
        ("OutcomeRequested", {"participant_id": amina, "kind": "pre_survey"}),
    )
    for name, confidence in (("Ravi", 2), ("Amina", 3)):
        ok(
            await http.put(
                f"{URL['scheduling']}/participants/{cohort.ids[name]}/surveys/pre",
                json={"confidence": confidence},
                headers=demo.person[name],
            )
        )
    agreement = {"skills_and_goals": SKILLS, "development_plan": "Shadow two negotiations.", "schedule": "Twice a month"}
    ok(await http.put(f"{URL['scheduling']}/pairings/{pairing_id}/agreement", json=agreement, headers=demo.person["Ravi"]))
    await demo.tail.seen_all(*[("SurveyAnswered", {"survey": "pre"})] * 2)
    say(f"confidence before: Ravi 2, Amina 3 of 5; the agreement's skills and goals: {', '.join(SKILLS)}")


async def the_cohort_ends(demo: Demo, cohort: Cohort, pairing_id: str) -> None:
    http, tail = demo.http, demo.tail
    ravi, amina = cohort.ids["Ravi"], cohort.ids["Amina"]
    ends_on = date.fromisoformat(ok(await http.get(f"{URL['registration']}/cohorts/{cohort.id}", headers=demo.team))["ends_on"])
    step(f"8. The cohort ends on {ends_on} (registration's clock travels): its pairings complete, the partners are asked")
    end = datetime.combine(ends_on + timedelta(days=1), time(0, 1), tzinfo=UTC)  # the end of ends_on, in UTC
    travel = (end - await demo.clock("registration")).total_seconds()
    tail.hush()  # a cohort's end is a bulk phase: its events are counted, not printed
    ok(await http.post(f"{URL['registration']}/clock/travel", json={"seconds": max(travel, 1)}, headers=demo.operator))
    await tail.seen_all(
        ("CohortEnded", {"cohort_id": cohort.id}),
        ("PairingCompleted", {"pairing_id": pairing_id, "reason": "programme_ended"}),
        *[
            ("OutcomeRequested", {"participant_id": who, "kind": kind})
            for who in (ravi, amina)
            for kind in ("final_assessment", "post_survey")
        ],
        timeout=60,
    )
    completed = tail.count("PairingCompleted", cohort_id=cohort.id)
    lapsed = tail.count("RequestLapsed", cohort_id=cohort.id)
    await tail.until(  # each mentee is told their request lapsed (a mentor too, if it was in their hands)
        "the lapsed requests' mails", lambda: tail.count("NotificationRecorded", kind="request_lapsed") >= lapsed, 60
    )
    say(
        f"registration publishes CohortEnded; pairing completes {completed} pairings (reason programme_ended) and lets "
        f"{lapsed} unanswered requests lapse; scheduling asks each partner for the final assessment and the "
        "post-programme survey, with a reminder on a working day if they do not answer"
    )
    late = await http.post(
        f"{URL['pairing']}/cohorts/{cohort.id}/mentees/{cohort.ids['Lina']}/preferences",
        json={"mentor_ids": [amina]},
        headers=demo.person["Lina"],
    )
    say(f"a request now: {late.status_code} {late.json()['error']['details'][0]['rule']}")

    step("   Ravi and Amina answer: the post-programme survey and the final assessment")
    for name, confidence, satisfaction in (("Ravi", 4, 5), ("Amina", 4, 4)):
        ok(
            await http.put(
                f"{URL['scheduling']}/participants/{cohort.ids[name]}/surveys/post",
                json={"confidence": confidence, "satisfaction": satisfaction},
                headers=demo.person[name],
            )
        )
    ratings = [{"skill_or_goal": SKILLS[0], "rating": 5}, {"skill_or_goal": SKILLS[1], "rating": 3}]
    ok(
        await http.put(
            f"{URL['scheduling']}/pairings/{pairing_id}/assessment",
            json={"ratings": ratings, "summary": "A clear plan, well followed."},
            headers=demo.person["Ravi"],
        )
    )
    await tail.seen_all(
        *[("SurveyAnswered", {"survey": "post"})] * 2,
        ("FinalAssessmentGiven", {"pairing_id": pairing_id}),
    )
    say("confidence after: 4 and 4; negotiation rated 5 (met), public speaking 3 (not yet): 1 of 2 goals met")


async def the_team_reads_the_outcomes_report(demo: Demo, cohort: Cohort) -> None:
    step("   The programme team reads the cohort's outcomes report (also as CSV: /outcomes.csv)")
    url = f"{URL['registration']}/cohorts/{cohort.id}/outcomes"

    async def report_with_the_answers() -> dict[str, Any] | None:
        report: dict[str, Any] = ok(await eventually(lambda: demo.http.get(url, headers=demo.team), "the report"))
        whole = {row["measure"]: row for row in report["rows"] if row["dimension"] == "cohort"}
        return report if whole.get("goals_met_share", {}).get("value") is not None else None

    report = await until("registration hears of the final assessment", report_with_the_answers)
    whole = {row["measure"]: row for row in report["rows"] if row["dimension"] == "cohort"}
    for measure, row in whole.items():
        value = row["value"]
        shown = "-" if value is None else f"{value:.2f}" if isinstance(value, float) else value
        say(f"{measure:<34} {shown!s:>8}   {DIM}({row['people']} people){RESET}", 4)
    by_grade = [row for row in report["rows"] if row["dimension"] == "grade_band" and row["measure"] == "paired"]
    if by_grade:
        say(
            "paired, by grade band: "
            + ", ".join(f"{row['group']} {row['value']} of {row['people']}" for row in by_grade)
            + f" (groups under {report['minimum_group_size']} people are folded into 'other' or hidden)"
        )
    csv = await demo.http.get(f"{url}.csv", headers=demo.team)
    say(f"the CSV: {len(csv.text.splitlines()) - 1} rows of measure, dimension, group, people, value")
    counted = demo.tail.unhush()
    say(f"{DIM}events since the cohort ended: " + ", ".join(f"{n} x {kind}" for kind, n in counted.items()) + RESET)
