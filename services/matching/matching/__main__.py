"""Run the service alone: python -m matching (waits for its database, migrates, serves)."""

from matching.bootstrap import create_app
from matching.settings import MatchingSettings
from together_servicekit.app import serve

serve(MatchingSettings(), create_app, "matching")
