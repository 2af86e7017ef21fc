"""Notifications: the messages participants receive, recorded exactly once per event."""
