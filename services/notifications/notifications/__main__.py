"""Run the service alone: python -m notifications (waits for its database, migrates, serves)."""

from notifications.bootstrap import create_app
from notifications.settings import NotificationsSettings
from together_servicekit.app import serve

serve(NotificationsSettings(), create_app, "notifications")
