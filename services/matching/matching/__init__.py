"""Matching: a read model of who registered, and explained suggestions of partners."""
