"""Notifications' rules, no I/O: who is told what (`messages.py`), in which language
(`languages.py`), a participant's choices (`preferences.py`), their feed (`feed.py`) and what
registration says of a contact (`contacts.py`)."""
