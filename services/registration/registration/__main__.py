"""Run the service alone: python -m registration (waits for its database, migrates, serves)."""

from registration.bootstrap import create_app
from registration.settings import RegistrationSettings
from together_servicekit.app import serve

serve(RegistrationSettings(), create_app, "registration")
