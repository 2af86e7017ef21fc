"""The topics the project declares: one per publishing service, and its dead-letter topic.

Created by `python -m together_operator.provision`. The domain topics are the audit history:
they keep everything (retention.ms = -1), and so do their dead-letter topics, because a dead
letter is an event that still needs a decision.
"""

from __future__ import annotations

from together_events.topics import KEEP_FOREVER, Topic, dead_letter_topic, service_topic

# The publishing services, each with a contracts module here and a topic of its own.
SERVICES = ("registration", "matching", "pairing", "scheduling", "notifications")

# Part of each topic's contract: published in the catalogue (docs/catalogue.md, docs/asyncapi.json).
PRIVACY = {
    "registration": (
        "Identifies people by participant id, by person id (the identity provider's subject, which links one person's "
        "registrations) and by display name, with the public profile: entity, duty station, time zone, grade, years of "
        "service, job network, languages, skills and goals, roles and mentor capacity. Never carries the e-mail address "
        "or any other programme-team-only answer, nor free text."
    ),
    "matching": (
        "Identifies people by participant id only. Carries scores and reasons that quote public-profile answers of both "
        "people. Never carries names, person ids, e-mail addresses, other programme-team-only answers or free text."
    ),
    "pairing": (
        "Identifies people by participant id and, in PairingFormed only, by person id. Carries who asked whom, in which "
        "order, who answered how and when. Never carries names, profile answers, e-mail addresses or free text: no "
        "message between the two people, no note for the programme team."
    ),
    "scheduling": (
        "Identifies people by participant id only. Carries the pairing, the start, its time zone, the duration, a "
        "series' recurrence rule, the calendar UID and sequence, the session plan's agenda title, cancellations and "
        "their reason, the completion and feedback ratings (1-5). Never carries session notes, feedback comments, "
        "agreements, assessments, survey answers, places, meeting links or other free text."
    ),
    "notifications": (
        "Identifies people by participant id only. Carries who was told which kind of message and why (the source "
        "event). Never carries the message's subject or body, nor any contact address."
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
