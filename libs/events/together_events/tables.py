"""The backbone's tables, present in every service's own database.

- `outbox`: events written in the same transaction as the state change they
  describe; the relay publishes them in `position` order and marks them sent.
- `aggregate_sequence`: the last sequence number per aggregate. Bumping it takes
  a row lock, so two transactions on one aggregate commit their events in order.
- `inbox`: (consumer, event id) of every event a consumer has handled, written in
  the handler's transaction, so a redelivered event has no second effect.
- `parked_records`: records a consumer could neither use nor copy to its dead-letter
  topic (see dead_letters.py), kept whole with the reason, one row per source offset.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB


def define_backbone_tables(
    metadata: sa.MetaData,
) -> tuple[sa.Table, sa.Table, sa.Table, sa.Table]:
    outbox = sa.Table(
        "outbox",
        metadata,
        sa.Column("position", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False, unique=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("aggregate_type", sa.Text, nullable=False),
        sa.Column("aggregate_id", sa.Text, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("envelope", JSONB, nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("aggregate_id", "sequence", name="outbox_aggregate_sequence_unique"),
        sa.Index(
            "outbox_unpublished",
            "position",
            postgresql_where=sa.text("published_at IS NULL"),
        ),
    )
    aggregate_sequence = sa.Table(
        "aggregate_sequence",
        metadata,
        sa.Column("aggregate_id", sa.Text, primary_key=True),
        sa.Column("last_sequence", sa.Integer, nullable=False),
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer", sa.Text, primary_key=True),
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
    )
    parked_records = sa.Table(
        "parked_records",
        metadata,
        *_parked_records_columns(),
    )
    return outbox, aggregate_sequence, inbox, parked_records


def _parked_records_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("consumer", sa.Text(), primary_key=True),
        sa.Column("topic", sa.Text(), primary_key=True),
        sa.Column("partition", sa.Integer(), primary_key=True),
        sa.Column("offset", sa.BigInteger(), primary_key=True),
        sa.Column("key", sa.LargeBinary()),
        sa.Column("value", sa.LargeBinary()),
        sa.Column("headers", JSONB(), nullable=False),  # [[name, base64 value], ...]
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
    ]


# The lib's own handle on the tables, whichever service's database it runs in.
outbox_table, aggregate_sequence_table, inbox_table, parked_records_table = define_backbone_tables(sa.MetaData())


def create_backbone_tables() -> None:
    """Backbone schema version 1, for each service's first Alembic migration.

    Written out rather than derived from the tables above, so that a later
    change to them arrives as a new, explicit migration step in every service.
    """
    from alembic import op

    op.create_table(
        "aggregate_sequence",
        sa.Column("aggregate_id", sa.Text(), primary_key=True),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), primary_key=True),
        sa.Column("event_id", sa.Text(), primary_key=True),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )
    op.create_table(
        "outbox",
        sa.Column("position", sa.BigInteger(), sa.Identity(always=False), primary_key=True),
        sa.Column("event_id", sa.Text(), nullable=False, unique=True),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("aggregate_type", sa.Text(), nullable=False),
        sa.Column("aggregate_id", sa.Text(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("envelope", JSONB(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("aggregate_id", "sequence", name="outbox_aggregate_sequence_unique"),
    )
    op.create_index(
        "outbox_unpublished",
        "outbox",
        ["position"],
        postgresql_where=sa.text("published_at IS NULL"),
    )


def create_parked_records_table() -> None:
    """Backbone schema version 2: the consumer's last resort for a record it cannot dead-letter."""
    from alembic import op

    op.create_table(
        "parked_records",
        sa.Column("consumer", sa.Text(), primary_key=True),
        sa.Column("topic", sa.Text(), primary_key=True),
        sa.Column("partition", sa.Integer(), primary_key=True),
        sa.Column("offset", sa.BigInteger(), primary_key=True),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=True),
        sa.Column("headers", JSONB(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
    )


def drop_parked_records_table() -> None:
    from alembic import op

    op.drop_table("parked_records")


def drop_backbone_tables() -> None:
    from alembic import op

    for table in ("outbox", "inbox", "aggregate_sequence"):
        op.drop_table(table)
