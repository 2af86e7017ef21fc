"""The topics the project declares: one per publishing service, and its dead-letter topic; who reads them.

Created by `python -m together_operator.provision`, which also grants the broker's ACLs from what is
declared here: each service writes its own topic and the dead-letter topics of the topics it consumes
(a consumer sets a record aside on its source's `.dlq`), and reads the topics it consumes with its own
group; a subscriber of another organisation reads the public topics only; dead-letter topics are for
operators. The domain topics are the audit history: they keep everything (retention.ms = -1), and so
do their dead-letter topics, because a dead letter is an event that still needs a decision.
"""

from __future__ import annotations

from together_events.topics import KEEP_FOREVER, Topic, dead_letter_topic, service_topic

# The publishing services, each with a contracts module here and a topic of its own.
SERVICES = ("registration", "matching", "pairing", "scheduling", "notifications")

# Whose topics each service's consumer reads. Its handlers must agree (libs/operator/tests/test_access.py):
# the broker refuses a service a topic that is not declared here.
CONSUMES: dict[str, tuple[str, ...]] = {
    "registration": (),
    "matching": ("registration", "pairing"),
    "pairing": ("registration", "matching"),
    "scheduling": ("registration", "pairing"),
    "notifications": ("registration", "pairing", "scheduling"),
}

# The topics other organisations' systems may read (docs/subscribers.md): who asked whom and who
# answered. The others carry profiles, scores or messages that only the project's services need.
PUBLIC = ("pairing",)

# Part of each topic's contract: published in the catalogue (docs/catalogue.md, docs/asyncapi.json).
PRIVACY = {
    "registration": (
        "Identifies people by participant id and by person id (the identity provider's subject, which links one "
        "person's registrations). Carries roles, capacities, places and credential decisions; the public profile "
        "(name, entity, duty station, time zone, grade, years of service, job network, languages, skills and goals) "
        "only sealed per person, for the project's services (ADR 0008). Never carries the e-mail address or any other "
        "programme-team-only answer, nor free text: the biography and a credential's rejection reason stay with "
        "registration. The v1 records published before the profile events' and CoachCredentialRejected's v2 carry "
        "them in the clear. A programme's rules may name its team's functional mailbox (team_mailbox), which the "
        "programme publishes anyway."
    ),
    "matching": (
        "Identifies people by participant id only. Carries which mentors a mentee was shown, with their scores. Never "
        "carries names, person ids, e-mail addresses, other programme-team-only answers or free text, nor (since "
        "SuggestionsServed v2) the suggestions' reasons, which quote both people's answers: v1 records carried them."
    ),
    "pairing": (
        "Identifies people by participant id and, in PairingFormed only, by person id. Carries who asked whom, in which "
        "order, who answered how and when, and the holidays the programme team set per duty station (a place's "
        "calendar, no one's answer). Never carries names, profile answers, e-mail addresses or free text: no "
        "message between the two people, no note for the programme team."
    ),
    "scheduling": (
        "Identifies people by participant id only. Carries the pairing, the start, its time zone, the duration, a "
        "series' recurrence rule, the calendar UID and sequence, the session plan's agenda title, cancellations and "
        "their reason, the completion and feedback ratings (1-5); what each participant is asked at the start and the "
        "end of a cohort, the scores of their survey answers (1-5) and how many of a final assessment's items were met; "
        "for reverse mentoring and on-the-job learning, counts and flags of the pair's records (the ground rules' agreed "
        "version, how many goals, micro-needs and plan steps, the last step's due date, how many steps were met and "
        "whether the plan worked); "
        "and each cohort's timetable (a career week: titles, kinds, languages, starts and durations, about no one). "
        "Never carries session notes, feedback comments, agreements, assessment items or comments, survey comments, "
        "ground rules, goals, micro-needs, plan steps, "
        "places, meeting links or other free text."
    ),
    "notifications": (
        "Identifies people by participant id only. Carries who was told which kind of message and why (the source "
        "event), and which programme's team was told. Never carries the message's subject or body, nor any contact "
        "address."
    ),
}


def declared_topics(prefix: str | None = None) -> tuple[Topic, ...]:
    topics: list[Topic] = []
    for service in SERVICES:
        name = service_topic(service, prefix)
        topics.append(
            Topic(
                name=name,
                partitions=3,
                config={"retention.ms": KEEP_FOREVER, "cleanup.policy": "delete"},
                purpose=f"events published by the {service} service; keyed by aggregate id",
                privacy=PRIVACY[service],
                public=service in PUBLIC,
                readers=tuple(reader for reader in SERVICES if service in CONSUMES[reader]),
            )
        )
        topics.append(
            Topic(
                name=dead_letter_topic(name),
                partitions=1,
                config={"retention.ms": KEEP_FOREVER},
                purpose=f"records from {name} that a consumer could not parse or handle, reason in headers",
                privacy=f"The same content as {name}, plus failure reasons that may quote it: operators only.",
            )
        )
    return tuple(topics)
