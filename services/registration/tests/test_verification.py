"""The one-time link's rules: a hash kept, one use, an expiry, a newer link replacing an older one,
and resending spared within a pause. No database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from registration.domain.errors import StateConflict
from registration.domain.verification import (
    LINK_LIFETIME,
    RESEND_PAUSE,
    AddressVerification,
    InvalidLink,
    VerificationStatus,
    token_hash,
)

NOW = datetime(2026, 11, 10, 9, tzinfo=UTC)


def requested(email: str = "Quincy@UN.org") -> AddressVerification:
    verification, event = AddressVerification.request(
        verification_id=uuid.uuid4(),
        participant_id=uuid.uuid4(),
        cohort_id=uuid.uuid4(),
        programme_id=uuid.uuid4(),
        email=email,
        now=NOW,
    )
    assert event.verification_id == verification.id and event.requested_at == NOW
    assert "quincy" not in event.model_dump_json().lower()  # the address never travels (no hex digit: no UUID holds it)
    return verification


def test_only_the_hash_of_a_long_random_token_is_kept_with_its_expiry():
    v = requested()
    assert v.email == "quincy@un.org" and v.token_hash is None
    token = v.issue_link(NOW)
    assert len(token) >= 43 and token not in repr(v)
    assert v.token_hash == token_hash(token) and v.expires_at == NOW + LINK_LIFETIME == NOW + timedelta(hours=72)


def test_a_link_works_once():
    v = requested()
    v.issue_link(NOW)
    v.use(NOW + timedelta(hours=1))
    assert v.status is VerificationStatus.verified and v.verified_at == NOW + timedelta(hours=1) and v.token_hash is None
    with pytest.raises(InvalidLink):
        v.use(NOW + timedelta(hours=2))


def test_a_link_expires():
    v = requested()
    v.issue_link(NOW)
    v.check(NOW + LINK_LIFETIME - timedelta(seconds=1))
    with pytest.raises(InvalidLink):
        v.use(NOW + LINK_LIFETIME)
    assert v.pending


def test_no_link_before_a_mail_asked_for_one_and_none_once_cancelled():
    v = requested()
    with pytest.raises(InvalidLink):
        v.check(NOW)
    v.issue_link(NOW)
    v.cancel()
    assert v.status is VerificationStatus.cancelled and v.token_hash is None
    with pytest.raises(InvalidLink):
        v.check(NOW)
    with pytest.raises(StateConflict):
        v.issue_link(NOW)


def test_every_failure_says_the_same():
    assert str(InvalidLink()) == str(InvalidLink())


def test_a_new_link_replaces_the_previous_one():
    v = requested()
    first = v.issue_link(NOW)
    second = v.issue_link(NOW + timedelta(minutes=1))
    assert first != second and v.token_hash == token_hash(second) != token_hash(first)


def test_resending_is_spared_within_the_pause():
    v = requested()
    assert v.resend(NOW + RESEND_PAUSE - timedelta(seconds=1)) is None and v.requested_at == NOW
    again = v.resend(NOW + RESEND_PAUSE)
    assert again is not None and again.verification_id == v.id and v.requested_at == NOW + RESEND_PAUSE
    v.issue_link(NOW + RESEND_PAUSE)
    v.use(NOW + RESEND_PAUSE)
    with pytest.raises(StateConflict, match="nothing to verify"):
        v.resend(NOW + timedelta(days=1))
