"""Scheduling: the sessions each pairing books, holds and completes."""
