"""Notifications keeps its read model of participants and programmes current from events, and turns
events into recorded messages, once per event and person, each with its e-mail delivery waiting in
`deliveries` (sent by `delivery.MailDelivery`): the use cases do the recording. Facts that settle
what an earlier message asked for make its unsent mail moot (`settling.py`)."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from notifications import settling, use_cases
from notifications.domain.actions import SETTLING_EVENTS
from notifications.domain.messages import NOTIFYING_EVENTS
from notifications.domain.outcomes import OUTCOME_EVENTS
from notifications.settings import NotificationsSettings
from notifications.tables import participants, programmes
from together_contracts.registration import (
    CohortOpened,
    ParticipantAnswersErased,
    ParticipantProfileUpdated,
    ParticipantRegistered,
    ParticipantRoleGranted,
    ParticipantWithdrawn,
    ProgrammeCreated,
    ProgrammeRulesChanged,
)
from together_events import Envelope, Event, Handlers
from together_servicekit.data_keys import ProfileOpener
from together_servicekit.runtime import Runtime


async def on_participant_state(
    conn: AsyncConnection, event: ParticipantRegistered | ParticipantProfileUpdated | ParticipantRoleGranted, _: Envelope
) -> None:
    """Who the participant is, in which programme, their name and time zone (for the messages)."""
    values = {
        "person_id": event.person_id,
        "programme_id": event.programme_id,
        "display_name": event.profile.display_name,
        "time_zone": event.profile.time_zone,
    }
    await conn.execute(
        insert(participants).values(id=event.participant_id, **values).on_conflict_do_update(index_elements=["id"], set_=values)
    )


async def on_programme(conn: AsyncConnection, event: ProgrammeCreated | ProgrammeRulesChanged, _: Envelope) -> None:
    """The programme's kind and session rhythm (the pairing-formed message names them), and where its team is mailed."""
    rules = event.rules
    rhythm = rules.session_plan.meeting_interval if rules is not None and rules.session_plan is not None else None
    configured = {"meeting_interval": rhythm, "team_mailbox": rules.team_mailbox if rules is not None else None}
    if isinstance(event, ProgrammeCreated):
        values = {"kind": event.kind.value, **configured}
        statement = insert(programmes).values(id=event.programme_id, **values)
        await conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))
    else:
        await conn.execute(programmes.update().where(programmes.c.id == event.programme_id).values(**configured))


async def on_cohort_opened(conn: AsyncConnection, event: CohortOpened, _: Envelope) -> None:
    """The kind, in case the programme's own event was not seen (e.g. published before this table)."""
    statement = insert(programmes).values(
        id=event.programme_id, kind=event.programme_kind.value, meeting_interval=None, team_mailbox=None
    )
    await conn.execute(statement.on_conflict_do_nothing())


def handlers(runtime: Runtime[NotificationsSettings]) -> Handlers:
    domain = runtime.settings.message_id_domain

    async def record_messages(conn: AsyncConnection, event: Event, envelope: Envelope) -> None:
        await use_cases.record_messages(runtime, conn, event, envelope, message_id_domain=domain)

    async def on_fact(conn: AsyncConnection, event: Event, envelope: Envelope) -> None:
        """Its messages, then what it settles: unsent mail about earlier facts that asked for it."""
        if type(event) in NOTIFYING_EVENTS or type(event) in OUTCOME_EVENTS:
            await record_messages(conn, event, envelope)
        await settling.settle(conn, event, envelope, runtime.now())

    async def on_registered(conn: AsyncConnection, event: ParticipantRegistered, envelope: Envelope) -> None:
        await on_participant_state(conn, event, envelope)
        await record_messages(conn, event, envelope)  # a waitlisted person is told so

    async def on_withdrawn(conn: AsyncConnection, event: ParticipantWithdrawn, _: Envelope) -> None:
        await use_cases.participant_withdrew(runtime, conn, event.participant_id, answers_erased=event.answers_erased)

    async def on_answers_erased(conn: AsyncConnection, event: ParticipantAnswersErased, _: Envelope) -> None:
        await use_cases.erase_copies(conn, event.participant_id)

    registry = (
        Handlers()
        .on(ParticipantRegistered, on_registered)
        .on(ParticipantProfileUpdated, on_participant_state)
        .on(ParticipantRoleGranted, on_participant_state)
        .on(ParticipantWithdrawn, on_withdrawn)
        .on(ParticipantAnswersErased, on_answers_erased)
        .on(ProgrammeCreated, on_programme)
        .on(ProgrammeRulesChanged, on_programme)
        .on(CohortOpened, on_cohort_opened)
    )
    for model in dict.fromkeys((*NOTIFYING_EVENTS, *OUTCOME_EVENTS, *SETTLING_EVENTS)):
        registry.on(model, on_fact)
    return ProfileOpener.of(runtime.settings).take_sealed(registry)  # the v2 profile events, opened first
