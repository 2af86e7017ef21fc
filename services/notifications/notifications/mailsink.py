"""A development mail sink: a real SMTP server on loopback that keeps every mail as a .eml file.

    python -m notifications.mailsink            # 127.0.0.1:8025, files in .run/mail/
    python -m notifications.mailsink list       # what arrived: file, To, Subject, attachments

`MAILSINK_HOST`, `MAILSINK_PORT` and `MAILSINK_DIR` change where it listens and writes. Never in
production: it accepts mail for anyone and delivers it nowhere.
"""

from __future__ import annotations

import email
import os
import re
import signal
import sys
import threading
import uuid
from email import policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from notifications.settings import MAILSINK_PORT


class EmlStore:
    """aiosmtpd handler: write each accepted mail to `<directory>/<n>-<uuid>.eml`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._count = len(list(directory.glob("*.eml")))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:  # numbered in the order they arrive, after those already there
            self._count += 1
            path = self.directory / f"{self._count:06d}-{uuid.uuid4().hex[:8]}.eml"
        header = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        partial = path.with_suffix(".part")
        partial.write_bytes(header + envelope.original_content)
        partial.replace(path)  # readers of *.eml never see half a mail
        return "250 OK stored"


def directory_from_environment() -> Path:
    state = Path(os.environ.get("TOGETHER_STATE_DIR", Path.cwd() / ".run"))
    return Path(os.environ.get("MAILSINK_DIR", state / "mail")).resolve()


def list_mails(directory: Path) -> list[str]:
    """One line per stored mail, oldest first."""
    lines = []
    for path in sorted(directory.glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        files = [name for part in mail.walk() if (name := part.get_filename())]
        attached = f"  [{', '.join(files)}]" if files else ""
        lines.append(f"{path.name}  to={mail['To']}  subject={mail['Subject']}{attached}")
    return lines


# A verification mail's link: `<link base>#token=<token>` (registration's `verification_link_base`).
VERIFICATION_LINK = re.compile(r"\S+#token=([A-Za-z0-9_-]+)")


def verification_tokens(directory: Path, address: str) -> list[str]:
    """The tokens of the verification links mailed to `address`, oldest first: what the person would
    click in their mailbox (demo and tests read the sink as a person reads mail)."""
    tokens = []
    for path in sorted(directory.glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if str(mail["To"]).lower() != address.lower():
            continue
        body = mail.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        tokens += VERIFICATION_LINK.findall(text)
    return tokens


def main() -> None:
    if sys.argv[1:] == ["list"]:
        print("\n".join(list_mails(directory_from_environment())) or "no mail yet")
        return
    host = os.environ.get("MAILSINK_HOST", "127.0.0.1")
    port = int(os.environ.get("MAILSINK_PORT", MAILSINK_PORT))
    directory = directory_from_environment()
    controller = Controller(EmlStore(directory), hostname=host, port=port)
    controller.start()
    print(f"mail sink on {host}:{port}, writing {directory}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
