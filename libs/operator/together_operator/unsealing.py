"""What replay and story show of a profile sealed in an event (ADR 0008).

Without access to the data keys, a sealed profile is shown as "(sealed)". With it (registration's URL
and a service token granted the scope `registration:data-keys`: `--registration-url`, and the token
from `--token-file` or the `TOGETHER_OPERATOR_*` token settings), it is shown opened, and as the
erased placeholders once the participant's answers are erased (the key is gone). Keys stay in memory
while the command runs. v1 records, from before the profile was sealed, are shown as published.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

from aiokafka import ConsumerRecord
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from together_contracts import registration_sealed as v2
from together_servicekit.data_keys import DataKeys
from together_servicekit.registration_client import RegistrationClient
from together_servicekit.settings import CallsRegistration

SEALED = "(sealed)"
SEALED_TYPES = frozenset(model.event_type() for model in v2.PLAIN_OF)


class OperatorKeys(CallsRegistration):
    """How the operator's tools ask registration for data keys: `TOGETHER_OPERATOR_TOKEN_SOURCE`, ..."""

    model_config = SettingsConfigDict(env_prefix="TOGETHER_OPERATOR_", extra="ignore")

    service_name: str = "operator"
    database_name: str = "operator"  # unused: the tools have no database of their own
    port: int = 0


class Unsealer:
    """Shows sealed profiles: opened with keys, "(sealed)" without."""

    def __init__(self, keys: DataKeys | None = None) -> None:
        self.keys = keys

    @classmethod
    def of(cls, registration_url: str | None, token_file: str | None = None) -> Unsealer:
        if not registration_url:
            return cls()
        if token_file:
            with open(token_file) as file:
                settings = OperatorKeys(
                    registration_url=registration_url, token_source="static", service_token=file.read().strip()
                )
        else:
            settings = OperatorKeys(registration_url=registration_url)
        return cls(DataKeys(RegistrationClient(settings), settings.data_key_seconds))

    async def event(self, event: dict[str, Any]) -> dict[str, Any]:
        """The envelope (a dict) as shown: its sealed profile opened or marked, anything else as it is."""
        if event.get("type") not in SEALED_TYPES or not isinstance(event.get("data"), dict):
            return event
        model = v2.SEALED_OF_TYPE[str(event["type"])]
        try:
            sealed = model.model_validate(event["data"])
        except ValidationError:
            return event  # not the contract: `verify` reports it; shown as published
        shown: Any = SEALED
        if self.keys is not None:
            shown = v2.open_profile(sealed, await self.keys.key(sealed.participant_id)).model_dump(mode="json")
        return {**event, "data": {**event["data"], "profile": shown}}

    async def record(self, record: ConsumerRecord) -> ConsumerRecord:
        if record.value is None or not any(t.encode() in record.value for t in SEALED_TYPES):
            return record
        with contextlib.suppress(ValueError):
            event = json.loads(record.value)
            if isinstance(event, dict):
                shown = await self.event(event)
                if shown is not event:
                    return dataclasses.replace(
                        record, value=json.dumps(shown, ensure_ascii=False, separators=(",", ":")).encode()
                    )
        return record

    async def batches(self, batches: AsyncIterator[list[ConsumerRecord]]) -> AsyncIterator[list[ConsumerRecord]]:
        async for batch in batches:
            yield [await self.record(record) for record in batch]

    async def close(self) -> None:
        if self.keys is not None:
            await self.keys.close()
