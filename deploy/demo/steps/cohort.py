"""Steps 1 to 3: the cohort forms. The team creates a programme and a cohort, people register
(some are refused, with their reasons), and matching suggests mentors with its reasons."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx

from deploy.demo.calls import URL, Demo, ok, until
from deploy.demo.cast import CHARACTERS, MENTEES, MENTORS, REFUSED, SEED, Cohort
from deploy.demo.console import DIM, RESET, say, step
from deploy.demo.tail import kind_of
from together_synthetic import generate_cohort


async def the_team_creates_a_programme_and_cohort(demo: Demo) -> str:
    """Returns the cohort's id."""
    http, team, tail = demo.http, demo.team, demo.tail
    step("1. The programme team signs in and creates a mentoring programme and a cohort")
    today = (await demo.clock("registration")).date()
    # The Secretariat always; beside it the entities this programme takes (the synthetic cohort names all three).
    # The team's functional mailbox gets its mails (an early end, the outcomes report at the cohort's end).
    programme_rules = {"entities": ["ITC", "ISA", "UNDP"], "team_mailbox": f"together-team.{demo.run}@un.org"}
    body = {"name": "Together mentoring", "kind": "mentoring", "rules": programme_rules}
    programme = ok(await http.post(f"{URL['registration']}/programmes", json=body, headers=team))
    tail.follow(programme["id"])
    await tail.seen_all(("ProgrammeCreated", {"programme_id": programme["id"]}))
    rules = ok(await http.get(f"{URL['registration']}/programmes/{programme['id']}", headers=team))["rules"]
    mentee_rules, mentor_rules = rules["roles"]["mentee"], rules["roles"]["mentor"]
    say(f"programme {programme['id'][:8]}… (kind mentoring) with the 2020 pilot's rules as defaults:")
    say(f"mentees from {', '.join(mentee_rules['job_networks'])}; mentors from any job network", 4)
    say(f"appointments {', '.join(mentor_rules['appointment_types'])}; mentors take 1-{mentor_rules['max_capacity']} mentees", 4)
    say(f"staff of the Secretariat and, as this programme lists them, of {', '.join(rules['entities'])}", 4)
    plan = rules["session_plan"]
    say(
        f"meetings in {' or '.join(rules['meeting_languages'])}, {plan['meeting_interval']} for {plan['period_months']} months", 4
    )
    cohort = ok(
        await http.post(
            headers=team,
            url=f"{URL['registration']}/programmes/{programme['id']}/cohorts",
            json={
                "name": f"Demo cohort {demo.run}",
                "registration_opens_on": str(today - timedelta(days=7)),
                "registration_closes_on": str(today + timedelta(days=14)),
                "starts_on": str(today + timedelta(days=21)),
                "ends_on": str(today + timedelta(days=21 + 120)),
            },
        )
    )
    cohort_id: str = cohort["id"]
    tail.follow(cohort_id)
    await tail.seen_all(("CohortOpened", {"cohort_id": cohort_id}))
    say(f'cohort {cohort_id[:8]}… "Demo cohort {demo.run}": registration open until {today + timedelta(days=14)}')
    return cohort_id


async def a_synthetic_cohort_registers(demo: Demo, cohort_id: str) -> Cohort:
    tail, run = demo.tail, demo.run
    step(f"2. A synthetic cohort registers ({MENTORS} mentors, {MENTEES} mentees, seed {SEED}), and the story's people")
    synthetic = generate_cohort(SEED, mentors=MENTORS, mentees=MENTEES)
    people = list({p.index_number: p for p in synthetic.mentors + synthetic.mentees}.values())
    limit = asyncio.Semaphore(8)

    async def register_synthetic(number: int, p: Any) -> tuple[dict[str, Any], httpx.Response]:
        answers = p.questionnaire()
        local, domain = answers["email"].split("@")
        answers["email"] = f"{local}.{run}@{domain}"  # fresh addresses per run: the mail sink tells runs apart
        async with limit:
            # The subject travels in events as person_id: never derive it from a team-only answer.
            return answers, await demo.register(cohort_id, f"synthetic-{run}-{number}", answers)

    tail.hush()
    results = await asyncio.gather(*(register_synthetic(n, p) for n, p in enumerate(people)))
    accepted = {r.json()["id"]: answers for answers, r in results if r.status_code == 201}
    tail.follow(*accepted)
    refused = [(answers, r.json()["error"]["details"]) for answers, r in results if r.status_code == 422]
    unexpected = [r for _, r in results if r.status_code not in (201, 422)]
    if unexpected:
        raise RuntimeError(f"registration: {unexpected[0].status_code} {unexpected[0].text}")
    ids: dict[str, str] = {}
    for name, answers in CHARACTERS.items():
        created = ok(
            await demo.register(cohort_id, f"{name.lower()}.{run}", {**answers, "email": f"{name.lower()}.{run}@un.org"})
        )
        ids[name] = created["id"]
        tail.follow(created["id"])
    cohort = Cohort(
        id=cohort_id,
        ids=ids,
        mentors={i: a for i, a in accepted.items() if "mentor" in a["roles"]},
        mentees={i: a for i, a in accepted.items() if "mentee" in a["roles"]},
        names={**{i: a["name"] for i, a in accepted.items()}, **{i: name for name, i in ids.items()}},
    )
    tail.names = {i: name.split()[0] for i, name in cohort.names.items()}

    await tail.until("every registration", lambda: tail.count("ParticipantRegistered") >= len(accepted) + len(ids))
    counted = tail.unhush()
    say(
        f"accepted {len(accepted)} of {len(people)}: {len(cohort.mentors)} mentors, {len(cohort.mentees)} mentees (both roles count in each)"
    )
    by_rule = Counter(v["rule"] for _, violations in refused for v in violations)
    say(f"refused {len(refused)}, reasons by rule: " + ", ".join(f"{rule} x{n}" for rule, n in by_rule.most_common()))
    say(
        ", ".join(f"{name} ({a['roles'][0]}, {a['grade']}, {a['duty_station']})" for name, a in CHARACTERS.items())
        + " registered"
    )
    say(f"{DIM}events: " + ", ".join(f"{n} x {kind}" for kind, n in counted.items()) + RESET)
    refusal = await demo.register(cohort_id, f"lucia.{run}", {**REFUSED, "email": f"lucia.{run}@un.org"})
    if refusal.status_code != 422:
        raise RuntimeError(f"Lucía's registration should be refused: {refusal.status_code} {refusal.text}")
    say("Lucía (intern at ECLAC, LOGNET, Spanish only) asks to be a mentee: 422, every reason at once:")
    for violation in refusal.json()["error"]["details"]:
        say(f"{violation['field']} ({violation['rule']}): {violation['message']}", 4)
    return cohort


async def matching_suggests_mentors(demo: Demo, cohort: Cohort) -> None:
    http, team = demo.http, demo.team
    ravi, jean = cohort.ids["Ravi"], cohort.ids["Jean"]
    step("3. Matching suggests mentors to Ravi, each with its reasons; the team asks why not others")

    async def matching_knows_everyone() -> bool:  # matching reads the registrations from Kafka
        response = await http.get(f"{URL['matching']}/cohorts/{cohort.id}/fairness", headers=team)
        if not response.is_success:
            return False
        report = response.json()
        known_mentees = sum(g["mentees"] for g in report["mentees_by"]["grade"])
        return bool(report["concentration"]["mentors"] == cohort.all_mentors and known_mentees == cohort.all_mentees)

    await until("matching learns of every registration", matching_knows_everyone)
    suggestions = ok(
        await http.get(f"{URL['matching']}/cohorts/{cohort.id}/mentees/{ravi}/suggestions", headers=demo.person["Ravi"])
    )["suggestions"]
    say(f"{len(suggestions)} suggestions among {cohort.all_mentors} mentors; the top three:")
    for rank, s in enumerate(suggestions[:3], 1):
        say(f"{rank}. {s['display_name']} (score {s['score']:.1f}): " + "; ".join(s["reasons"]), 4)
    await demo.tail.seen_all(("SuggestionsServed", {"mentee_id": ravi}))
    served = [e for e in demo.tail.seen if kind_of(e) == "SuggestionsServed" and e["data"]["mentee_id"] == str(ravi)][-1]
    carried = sorted({name for shown in served["data"]["suggestions"] for name in shown})
    say(f"{DIM}its event ({served['type'].rsplit('.', 1)[-1]}) keeps {' and '.join(carried)} per mentor for audit; the reasons"
        f" quote Ravi's and the mentors' answers, so only matching's API gives them (ADR 0008){RESET}", 4)  # fmt: skip
    suggested = {s["mentor_id"] for s in suggestions}
    shown_excluded = shown_ranked = False
    for mentor_id, answers in list(cohort.mentors.items()) + [(jean, CHARACTERS["Jean"])]:
        if mentor_id in suggested or (shown_excluded and shown_ranked):
            continue
        why = ok(await http.get(f"{URL['matching']}/cohorts/{cohort.id}/mentees/{ravi}/why-not/{mentor_id}", headers=team))
        if why["exclusions"] and not shown_excluded:
            shown_excluded = True
            say(f"why not {answers['name']} ({answers['grade']}, {answers['duty_station']})? excluded:", 2)
            for exclusion in why["exclusions"]:
                say(f"{exclusion['rule']}: {exclusion['reason']}", 4)
        elif not why["exclusions"] and not shown_ranked:
            shown_ranked = True
            say(f"why not {answers['name']} ({answers['grade']}, {answers['duty_station']})? {why['summary']}", 2)
