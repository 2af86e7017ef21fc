"""Pairing: preferences, the request lifecycle and the pairings it forms."""
