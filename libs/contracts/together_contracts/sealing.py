"""Personal answers sealed per person inside events (crypto-shredding, docs/adr/0008-personal-data-in-events.md).

A sealed value is AES-256-GCM ciphertext under the person's data key, which registration holds and
deletes when the person's answers are erased. The associated data binds the value to the event it
travels in (its type and subject): cut out and pasted into another event, it no longer opens. A key
that is gone opens nothing: the reader shows the erased placeholders instead.
"""

from __future__ import annotations

import base64
import os
from typing import Literal, TypeVar
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, Field

from together_events.registry import CONTRACT_CONFIG

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce; random per seal, so one key seals many values safely
ALGORITHM: Literal["A256GCM"] = "A256GCM"

Value = TypeVar("Value", bound=BaseModel)


class Sealed(BaseModel):
    """What travels in place of personal answers: readable only with the person's data key."""

    model_config = CONTRACT_CONFIG

    key_id: UUID = Field(description="Whose data key seals it: the participant id.")
    alg: Literal["A256GCM"] = Field(default=ALGORITHM, description="AES-256-GCM.")
    nonce: str = Field(description="The 96-bit nonce, base64url.")
    ciphertext: str = Field(description="The sealed JSON, with its 128-bit tag, base64url.")


class SealBroken(ValueError):
    """The value does not open with the key it names: altered, moved to another event, or a wrong key."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def key_text(key: bytes) -> str:
    """A data key as it travels from registration to a service that may open (base64url)."""
    return _text(key)


def key_from_text(text: str) -> bytes:
    """The data key of `key_text`; ValueError unless it is one (256 bits)."""
    try:
        key = _bytes(text)
    except (ValueError, TypeError) as exc:
        raise ValueError("a data key is base64url") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(f"a data key has {KEY_BYTES * 8} bits, not {len(key) * 8}")
    return key


def binding(event_type: str, subject: str) -> bytes:
    """The associated data: the event a sealed value belongs to."""
    return f"{event_type}\n{subject}".encode()


def seal(value: BaseModel, *, key: bytes, key_id: UUID, event_type: str, subject: str) -> Sealed:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, value.model_dump_json().encode(), binding(event_type, subject))
    return Sealed(key_id=key_id, nonce=_text(nonce), ciphertext=_text(ciphertext))


def open_sealed(sealed: Sealed, model: type[Value], *, key: bytes, event_type: str, subject: str) -> Value:
    """The value, or SealBroken. (A missing key is the caller's case: the person's answers were erased.)"""
    try:
        plain = AESGCM(key).decrypt(_bytes(sealed.nonce), _bytes(sealed.ciphertext), binding(event_type, subject))
    except (InvalidTag, ValueError) as exc:
        raise SealBroken(f"the value sealed with key {sealed.key_id} does not open in {event_type} {subject}") from exc
    return model.model_validate_json(plain)


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bytes(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
