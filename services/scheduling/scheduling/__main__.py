"""Run the service alone: python -m scheduling (waits for its database, migrates, serves)."""

from scheduling.bootstrap import create_app
from scheduling.settings import SchedulingSettings
from together_servicekit.app import serve

serve(SchedulingSettings(), create_app, "scheduling")
