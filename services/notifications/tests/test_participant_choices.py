"""A participant's own: their preferences, their feed's read marks, their contact as registration
gives it, and the Message-ID every attempt of a mail carries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from notifications.domain.contacts import Contact
from notifications.domain.feed import FeedEntry
from notifications.domain.messages import message_id_for
from notifications.domain.preferences import InvalidPreferences, Preferences

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_preferences_are_kept_sorted_and_each_kind_once():
    chosen = Preferences.chosen("fr", ["request_reminder", "pairing_ended", "request_reminder"])
    assert chosen == Preferences("fr", ["pairing_ended", "request_reminder"])
    assert Preferences.chosen(None, []) == Preferences(None, [])


def test_every_refused_preference_is_named_at_once():
    with pytest.raises(InvalidPreferences) as refused:
        Preferences.chosen("de", ["pairing_ended", "spam", "x" * 100])
    problems = refused.value.problems
    assert [(p.field, p.rule) for p in problems] == [
        ("body.language", "supported_language"),
        ("body.email_off.1", "known_kind"),
        ("body.email_off.2", "known_kind"),
    ]
    assert problems[0].message == "language must be one of en, fr, es"
    assert problems[2].message == f"'{'x' * 60}' is not a kind of message"  # never the whole value


def test_reading_again_keeps_the_first_time_and_unread_clears_it():
    entry = FeedEntry(uuid.uuid4(), uuid.uuid4(), read_at=None)
    entry.mark_read(NOW)
    entry.mark_read(NOW + timedelta(hours=1))
    assert entry.read_at == NOW
    entry.mark_unread()
    assert entry.read_at is None


def test_a_contact_from_registration_has_no_blank_address():
    participant_id = uuid.uuid4()
    contact = Contact.from_registration(
        {
            "participant_id": str(participant_id),
            "email": "  amina@example.org ",
            "display_name": "Amina",
            "preferred_language": "fr-CH",
        }
    )
    assert contact == Contact(participant_id, "amina@example.org", "Amina", "fr-CH", withdrawn=False)
    blank = Contact.from_registration({"participant_id": str(participant_id), "email": "  ", "withdrawn": True})
    assert (blank.email, blank.display_name, blank.preferred_language, blank.withdrawn) == (None, None, None, True)


def test_every_attempt_of_a_mail_carries_the_same_message_id():
    notification_id = uuid.uuid4()
    assert message_id_for(notification_id, "together.example") == f"<notification-{notification_id}@together.example>"
