"""Session plans with agendas, per programme kind (pure).

Registration's programme rules may carry a `session_plan` (period, rhythm, minutes, agenda);
where they do, it decides. Where they do not (older programmes), each kind's default below
reproduces the programme documents:

- mentoring: a first session, then meetings twice a month over the 4-month period (8 in all);
- networking + mentoring: what the request asked for, 1-2 networking meetings or a mentoring
  relationship of 3-6 meetings, every 3 weeks (planned: the most, 2 or 6; `minimum` 1 or 3);
- coaching: an introduction meeting and 5 monthly sessions of 45 minutes;
- reverse mentoring: a kickoff (introductions, goals and expectations), then a 3-month plan
  of monthly meetings;
- on-the-job learning: scanning micro-needs and SMART goals, then monthly check-ins on the plan.

Each planned session carries its agenda content, its themes (`agendas`), whichever names it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from scheduling.domain.agendas import Themes, session_themes
from together_contracts.pairing import Engagement
from together_contracts.registration import ProgrammeKind, SessionPlan


@dataclass(frozen=True)
class PlannedSession:
    step: int  # 1-based position in the plan
    title: str
    minutes: int
    themes: Themes = ()  # the agenda content: what the session covers


@dataclass(frozen=True)
class Plan:
    kind: str
    period_months: int
    meeting_interval: str
    minimum: int  # fewer held sessions than this leaves the plan unfinished
    sessions: tuple[PlannedSession, ...]

    def title_of(self, step: int | None) -> str:
        if step is not None and 1 <= step <= len(self.sessions):
            return self.sessions[step - 1].title
        return f"{_LABEL.get(self.kind, 'Together')} meeting"

    def open_items(self, taken: Collection[int], n: int) -> list[AgendaItem]:
        """The next `n` agenda items no live session holds (`taken`); beyond the plan, the kind's meeting."""
        free = [AgendaItem(s.step, s.title, s.themes) for s in self.sessions if s.step not in taken][:n]
        return free + [AgendaItem(None, self.title_of(None))] * (n - len(free))


@dataclass(frozen=True)
class AgendaItem:
    """What a booking takes from the plan: its step (None beyond the plan), title and themes."""

    step: int | None
    title: str
    themes: Themes = ()


_LABEL: dict[str, str] = {
    ProgrammeKind.mentoring: "Mentoring",
    ProgrammeKind.networking_mentoring: "Networking",
    ProgrammeKind.coaching: "Coaching",
    ProgrammeKind.reverse_mentoring: "Reverse mentoring",
    ProgrammeKind.on_the_job_learning: "On-the-job learning",
}


def _numbered(first: list[str], label: str, total: int, start: int = 2) -> list[str]:
    return first + [f"{label} {n}" for n in range(start, start + total - len(first))]


def default_plan(kind: str, engagement: str | None = None) -> Plan:
    match kind:
        case ProgrammeKind.mentoring:
            titles = _numbered(["First session: introductions, goals and the mentorship agreement"], "Mentoring meeting", 8)
            return _plan(kind, 4, "twice a month", 1, titles, 60)
        case ProgrammeKind.networking_mentoring if engagement == Engagement.networking_meetings:
            return _plan(kind, 2, "every 3 weeks", 1, ["Networking meeting 1", "Networking meeting 2"], 60, engagement)
        case ProgrammeKind.networking_mentoring:
            titles = _numbered(["Mentoring meeting 1: introductions, goals and expectations"], "Mentoring meeting", 6)
            return _plan(kind, 4, "every 3 weeks", 3, titles, 60)
        case ProgrammeKind.coaching:
            titles = ["Introduction meeting", *(f"Coaching session {n}" for n in range(1, 6))]
            return _plan(kind, 6, "monthly", 6, titles, 45)
        case ProgrammeKind.reverse_mentoring:
            titles = [
                "Kickoff: introductions, goals (REAL) and expectations",
                "Month 1: first steps on the goals",
                "Month 2: progress and adjustments",
                "Month 3: results and what comes next",
            ]
            return _plan(kind, 3, "monthly", 4, titles, 60)
        case _:
            titles = ["Scan micro-needs and set SMART goals", "Personalised plan check-in 1", "Personalised plan check-in 2"]
            return _plan(kind, 3, "monthly", 1, titles, 60)


def _plan(
    kind: str, months: int, interval: str, minimum: int, titles: list[str], minutes: int, engagement: str | None = None
) -> Plan:
    return Plan(kind, months, interval, minimum, _sessions(kind, titles, minutes, engagement))


def _sessions(kind: str, titles: list[str], minutes: int, engagement: str | None = None) -> tuple[PlannedSession, ...]:
    """The planned sessions named `titles`, each with the kind's themes for its step."""
    themes = session_themes(kind, len(titles), engagement)
    return tuple(PlannedSession(i, title, minutes, themes[i - 1]) for i, title in enumerate(titles, 1))


def meetings_in(period_months: int, meeting_interval: str) -> int | None:
    """How many meetings a rhythm gives over a period: 'twice a month', 'monthly', 'every N weeks'."""
    text = meeting_interval.lower()
    if "twice a month" in text or "fortnight" in text:
        return 2 * period_months
    if "monthly" in text or "once a month" in text or "every month" in text:
        return period_months
    weeks = re.search(r"every (\d+) weeks?", text)
    if weeks:
        return max(1, round(period_months * 30.44 / (7 * int(weeks.group(1)))))
    if "weekly" in text or "every week" in text:
        return max(1, round(period_months * 30.44 / 7))
    return None


def plan_for(kind: str, rules_plan: SessionPlan | None, engagement: str | None = None) -> Plan:
    """The programme's own plan where its rules give one, else the kind's default."""
    default = default_plan(kind, engagement)
    if rules_plan is None:
        return default
    if kind == ProgrammeKind.networking_mentoring:
        # The request decides how many meetings; the programme's rhythm and agenda names still apply.
        count = len(default.sessions)
    else:
        count = max(len(rules_plan.agenda), meetings_in(rules_plan.period_months, rules_plan.meeting_interval) or 0) or len(
            default.sessions
        )
    minutes = rules_plan.session_minutes or default.sessions[0].minutes
    agenda = list(rules_plan.agenda[:count])
    titles = agenda + [f"{_LABEL.get(kind, 'Together')} meeting {n}" for n in range(len(agenda) + 1, count + 1)]
    return Plan(
        kind,
        rules_plan.period_months,
        rules_plan.meeting_interval,
        min(default.minimum, count),
        _sessions(kind, titles, minutes, engagement),
    )
