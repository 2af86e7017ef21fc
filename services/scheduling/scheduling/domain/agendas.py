"""What each planned session is about: the agenda content of each programme kind, pure.

A plan's sessions are an opening, the sessions in between, and a closing. Each kind gives the
themes of its opening and closing and a list of topics, spread in order over the sessions in
between, so a plan of any length (a programme's rules may lengthen or shorten it) still covers
them all. The programme's rules name the sessions; what they cover is the kind's, step by step.

Agenda content is programme text, about nobody (public in events), in English as the agenda
titles are. Sources, in `seeds/`:

- mentoring: together-2020-pilot-faq: first sessions "align expectations and agree on" the
  topics to address, the mentorship agreement (skills and goals, development planning,
  scheduling), confidentiality, and its list of "topics mentees may want to discuss with a mentor"
  (suggestions: the pair chooses); the close reviews the agreement (the final assessment);
- networking + mentoring: together-2022-how-it-works: mentees "come prepared with questions or an
  agenda", share "what they would like to learn or share"; a relationship is mentoring;
- coaching: coaching-2023-faq. It names no theme per session; its description of the process gives
  them: coach and client "determine a client's own answers and action steps", for "a specific
  challenge or goal", to "solve immediate issues" and "develop the capacity to keep improving in
  sustainable ways"; the coaching areas; the coach's confidentiality commitment;
- reverse mentoring: reverse-mentoring-and-career-week-2026: "Introductions and background
  sharing", ground rules, REAL goals on both sides, "Plan for the next 3 months"; the topics
  junior staff mentor on: workplace culture, generational perspectives, technology, modern trends;
- on-the-job learning: the rule book: a scan of micro-needs, SMART goals, a personalised plan with
  dates, and at the end whether the plan worked.
"""

from __future__ import annotations

from dataclasses import dataclass

from together_contracts.pairing import Engagement
from together_contracts.registration import ProgrammeKind

Themes = tuple[str, ...]


@dataclass(frozen=True)
class Agenda:
    opening: Themes
    topics: Themes  # spread in order over the sessions between the opening and the closing
    closing: Themes


_MENTORING = Agenda(
    opening=(
        "Introductions and background",
        "Aligning expectations and choosing the topics to address",
        "The mentorship agreement: skills and goals, development plan, schedule",
        "Confidentiality: what is discussed stays between you",
    ),
    topics=(
        "Navigating the UN culture",
        "Managing up: the relationship with one's managers",
        "Experience across duty stations",
        "Settling into a new duty station",
        "Experience across types of UN entities (Headquarters, missions, agencies, funds, programmes)",
        "Experience across job networks and families",
        "Moving up or laterally",
        "Improving performance reviews",
        "Learning new skills",
        "Managing others",
        "Promoting a disability-inclusive workplace and culture",
        "Dealing with challenging work environments",
        "Challenges with job satisfaction",
        "Improving work-life balance",
    ),
    closing=(
        "Looking back at the agreement's skills and goals",
        "The final assessment",
        "What comes next",
    ),
)

_NETWORKING_MEETINGS = Agenda(
    opening=(
        "Introductions: each other's career path and role",
        "The questions or agenda the mentee prepared",
        "What the mentee would like to learn, and what the mentor can share",
    ),
    topics=(),
    closing=(
        "Follow-up on the first meeting's questions",
        "Contacts, resources and next steps",
    ),
)

_COACHING = Agenda(
    opening=(
        "Getting to know each other, and how coaching works: the client finds their own answers",
        "Confidentiality: what is shared stays with the coach",
        "The area of coaching: career, leadership, skills, conflict, pre-retirement or team and relationships",
        "The commitment: an introduction and five monthly sessions of 45 minutes",
    ),
    topics=(
        "The specific challenge or goal the client brings",
        "What success would look like",
        "Exploring the situation and the options",
        "The client's own answers",
        "Choosing action steps",
        "Committing to act before the next session",
        "Progress on the action steps: what worked and what did not",
        "Adjusting the action steps",
    ),
    closing=(
        "What was achieved against the challenge or goal",
        "Keeping on improving after the programme: the next steps",
    ),
)

_REVERSE_MENTORING = Agenda(
    opening=(
        "Introductions and background sharing",
        "Ground rules and expectations, set together",
        "Each side's REAL goals: relevant, experimental, aspirational, learning-based",
        "The plan for the next 3 months",
    ),
    topics=(
        "Workplace culture",
        "Generational perspectives",
        "Technology and digital tools",
        "Modern trends",
        "Challenging assumptions: fresh perspectives",
    ),
    closing=(
        "What each side learnt against their REAL goals",
        "What comes next",
    ),
)

_ON_THE_JOB_LEARNING = Agenda(
    opening=(
        "Scan of micro-needs: what the work asks for now",
        "SMART goals: specific, measurable, achievable, relevant, time-bound",
        "The personalised plan, with dates",
    ),
    topics=(
        "Progress against the personalised plan and its dates",
        "Adjusting the plan",
    ),
    closing=("Did the plan work? The goals assessed",),
)


def agenda_of(kind: str, engagement: str | None = None) -> Agenda:
    match kind:
        case ProgrammeKind.networking_mentoring if engagement == Engagement.networking_meetings:
            return _NETWORKING_MEETINGS
        case ProgrammeKind.mentoring | ProgrammeKind.networking_mentoring:
            return _MENTORING
        case ProgrammeKind.coaching:
            return _COACHING
        case ProgrammeKind.reverse_mentoring:
            return _REVERSE_MENTORING
        case _:
            return _ON_THE_JOB_LEARNING


def session_themes(kind: str, sessions: int, engagement: str | None = None) -> list[Themes]:
    """The themes of each of a plan's `sessions`, in order: the opening, the topics spread over the
    sessions in between (some may get none when there are more sessions than topics), the closing."""
    agenda = agenda_of(kind, engagement)
    if sessions <= 0:
        return []
    if sessions == 1:
        return [agenda.opening]
    between = sessions - 2
    topics = agenda.topics
    spread = [topics[i * len(topics) // between : (i + 1) * len(topics) // between] for i in range(between)]
    return [agenda.opening, *spread, agenda.closing]
