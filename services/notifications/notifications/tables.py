"""Notifications' tables: messages (one per source event, recipient and kind), their e-mail
deliveries, participants' read model and their channel preferences."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from together_events.tables import define_backbone_tables

metadata = sa.MetaData()
define_backbone_tables(metadata)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("recipient_id", UUID(as_uuid=True), nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("source_event_id", sa.Text, nullable=False),
    sa.Column("source_event_type", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    # What the templates need (JSON values), so the message can be rendered again in another language.
    sa.Column("params", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("language", sa.Text, nullable=False, server_default="en"),
    sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    # When the fact it tells happened (the source event's time): a person's mails go in this order.
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    # What it asks the reader to do (`domain/actions.py`), so that a later fact can make its mail moot.
    sa.Column("action_key", sa.Text, nullable=True),
    # A second guard besides the inbox: one message per person per event, ever.
    sa.UniqueConstraint("source_event_id", "recipient_id", "kind", name="notifications_once_per_event"),
    sa.Index("ix_notifications_action_key", "action_key", postgresql_where=sa.text("action_key IS NOT NULL")),
)

# Who each participant is: the identity provider's subject (who may read their messages), the
# programme (whose team sees their failed deliveries), name and time zone (for the messages).
participants = sa.Table(
    "participants",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("person_id", sa.Text, nullable=False),
    sa.Column("programme_id", UUID(as_uuid=True), nullable=True),
    sa.Column("display_name", sa.Text, nullable=True),
    sa.Column("time_zone", sa.Text, nullable=True),
)

# The participant's own choices: language and which kinds of message not to e-mail.
preferences = sa.Table(
    "preferences",
    metadata,
    sa.Column("participant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("language", sa.Text, nullable=True),
    sa.Column("email_off", ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]")),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# The preferred language registration gave when a mail was last addressed (its contact endpoint),
# so later messages are written in it from the start, in the feed too.
contact_languages = sa.Table(
    "contact_languages",
    metadata,
    sa.Column("participant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("learned_at", sa.DateTime(timezone=True), nullable=False),
)

# One e-mail delivery per notification (the outbox of mail): pending -> claimed (a worker prepares it,
# short lease) -> sending (DATA began: the outcome may be unknown, long lease) -> sent | failed | skipped.
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("notification_id", UUID(as_uuid=True), sa.ForeignKey("notifications.id"), primary_key=True),
    sa.Column("recipient_id", UUID(as_uuid=True), nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("message_id", sa.Text, nullable=False),
    sa.Column("address", sa.Text, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("ambiguous_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'claimed', 'sending', 'sent', 'failed', 'skipped')", name="deliveries_state"),
    sa.Index("ix_deliveries_due", "state", "next_attempt_at"),
    # A recipient's mail not yet finished: a later one waits for it (`repository.claim_due_mail`).
    sa.Index(
        "ix_deliveries_unfinished_by_recipient",
        "recipient_id",
        postgresql_where=sa.text("state IN ('pending', 'claimed', 'sending')"),
    ),
)

# Each programme's kind (coaching says coach/client), its rules' session rhythm and its team's mailbox, from
# ProgrammeCreated / ProgrammeRulesChanged (CohortOpened: the kind, when the programme came first).
programmes = sa.Table(
    "programmes",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("meeting_interval", sa.Text),  # e.g. "twice a month"; None: the programme sets none
    sa.Column("team_mailbox", sa.Text),  # where the programme team's messages go; None: the rules name none
)

# What facts settled (`domain/actions.py`): a message about an earlier fact asking for it is moot.
# Kept per key with the latest settling fact's time, so a message recorded after the fact that
# settled it (another partition or topic was read first) is moot from the start.
settled_actions = sa.Table(
    "settled_actions",
    metadata,
    sa.Column("action_key", sa.Text, primary_key=True),
    sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),  # the settling event's time
    sa.Column("why", sa.Text, nullable=False),
)

# The tables built purely from events: `together-events rebuild` rebuilds and compares them
# (notifications on recipient, kind and source event only: their ids are random, recorded_at is the clock).
READ_MODEL = (participants, programmes, notifications, settled_actions)
