"""The people's mailboxes: the verification links the mail sink received, by address.

The workload follows each person's link as the person would, from the mail (tests/verification.py
reads the tokens). Each file is read once, as it arrives: hundreds of people look for their link
while the suite runs, and the sink's directory only grows.
"""

from __future__ import annotations

import email
import time
from collections import defaultdict
from email import policy
from email.message import EmailMessage
from pathlib import Path

from tests.verification import mailed_tokens

RESCAN = 0.3  # seconds: at most this often the directory is listed again


class Inbox:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._read: set[str] = set()
        self._tokens: dict[str, list[str]] = defaultdict(list)
        self._scanned = 0.0

    def tokens(self, address: str) -> list[str]:
        """The tokens of the verification links mailed to `address`, oldest first."""
        if time.monotonic() - self._scanned > RESCAN:
            self._scan()
        return list(self._tokens.get(address.lower(), ()))

    def _scan(self) -> None:
        self._scanned = time.monotonic()
        for path in sorted(self.directory.glob("*.eml")):  # the sink renames a whole mail into place
            if path.name in self._read:
                continue
            self._read.add(path.name)
            mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(mail, EmailMessage)
            if found := mailed_tokens(mail):
                self._tokens[str(mail["To"]).lower()] += found
