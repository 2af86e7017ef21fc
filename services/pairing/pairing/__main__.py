"""Run the service alone: python -m pairing (waits for its database, migrates, serves)."""

from pairing.bootstrap import create_app
from pairing.settings import PairingSettings
from together_servicekit.app import serve

serve(PairingSettings(), create_app, "pairing")
