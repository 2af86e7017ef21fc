"""Mail headers that no value can break out of, whatever the Python patch level.

Python's mail library reads a string assigned to a header as raw header text: it decodes RFC 2047
encoded words in it (`=?utf-8?q?x=0D=0AReply-To:...?=` becomes a CR LF and a new header), and
before 3.11.10 (CVE-2024-6923) it writes such a value back out unfolded: a header, and a body, of
the sender's choosing. So, in three layers:

1. Every value is checked against `header_problem` (together_servicekit.text, the rule the APIs
   apply to names): no line separator of any kind, no encoded word.
2. What fails is made harmless or refused. Free text (a subject naming a partner, a display name)
   stored before the APIs refused such names is rendered inert and the mail still goes, so the
   person still learns of their pairing or session; a value the mail cannot do without (the
   address, the Message-ID) is refused: `UnsafeHeaderValue`.
3. `HEADER_POLICY` refuses to write a header whose folded text holds a line break that is not a
   fold (the check CPython 3.11.10 added), and `verify_serialisable` writes the whole message as
   SMTP will, before it is handed over.
"""

from __future__ import annotations

import re
from email.errors import HeaderParseError
from email.headerregistry import Address, AddressHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from typing import Any

import structlog

from together_servicekit.text import ENCODED_WORD, LINE_BREAK_OR_CONTROL, header_problem

log = structlog.get_logger(__name__)

_FOLD = re.compile(r"\r?\n[ \t]")  # a line break followed by white space continues the header
_BREAK_OR_CONTROL_BUT_TAB = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


class UnsafeHeaderValue(ValueError):
    """A value that cannot safely become a mail header: the mail is not built."""


class _RefusesInjectedHeaders(EmailPolicy):
    """The default policy, but a folded header may break lines only to continue itself."""

    def fold(self, name: str, value: Any) -> str:
        return _verified(name, super().fold(name, value), self.linesep)

    def fold_binary(self, name: str, value: Any) -> bytes:
        folded = super().fold_binary(name, value)
        _verified(name, folded.decode("utf-8", "surrogateescape"), self.linesep)
        return folded


def _verified(name: str, folded: str, linesep: str) -> str:
    if not folded.endswith(linesep):
        raise UnsafeHeaderValue(f"the {name} header does not end its line")
    if _BREAK_OR_CONTROL_BUT_TAB.search(_FOLD.sub(" ", folded.removesuffix(linesep))):
        raise UnsafeHeaderValue(f"the {name} header would start a new header line")
    return folded


HEADER_POLICY = _RefusesInjectedHeaders()
# As aiosmtplib writes a message for the SMTP server: CR LF, and UTF-8 headers where the server allows them.
_AS_SENT = (HEADER_POLICY.clone(linesep="\r\n"), HEADER_POLICY.clone(linesep="\r\n", utf8=True))


def checked(header: str, value: str) -> str:
    """A value the mail cannot do without, unchanged, or UnsafeHeaderValue."""
    problem = header_problem(value)
    if problem is not None:
        raise UnsafeHeaderValue(f"the {header} header {problem}")
    return value


def inert_text(header: str, value: str) -> str:
    """Free text made harmless: encoded words dropped, any other `=?` broken, line breaks and controls
    turned to spaces. A safe value comes back unchanged."""
    problem = header_problem(value)
    if problem is None:
        return value
    log.warning("mail.header_neutralised", header=header, reason=problem)  # not the value: it may be personal
    without_words = ENCODED_WORD.sub(" ", value).replace("=?", "= ?")
    return " ".join(LINE_BREAK_OR_CONTROL.sub(" ", without_words).split())


def message_id_header(value: str) -> str:
    if not _MESSAGE_ID.match(checked("Message-ID", value)):
        raise UnsafeHeaderValue("the Message-ID header must look like <local@domain>")
    return value


def language_header(value: str) -> str:
    if not _LANGUAGE_TAG.match(checked("Content-Language", value)):
        raise UnsafeHeaderValue("the Content-Language header must be a language tag such as en or fr-CH")
    return value


def recipient(addr_spec: str, display_name: str | None = None) -> Address:
    """The address exactly as given (else UnsafeHeaderValue); with the display name if it is safe,
    else the address alone, so the mail still goes."""
    address = _plain_address("To", addr_spec)
    if not display_name:
        return address
    problem = header_problem(display_name)
    if problem is not None:
        log.warning("mail.display_name_left_out", header="To", reason=problem)  # not the name: it is personal
        return address
    return Address(display_name, address.username, address.domain)


def mailbox(header: str, value: str) -> Address:
    """One mailbox written as `Name <address>` or `address` (the sender setting), else UnsafeHeaderValue."""
    parsed = HEADER_POLICY.header_factory(header, checked(header, value))
    if parsed.defects or not isinstance(parsed, AddressHeader) or len(parsed.addresses) != 1:
        raise UnsafeHeaderValue(f"the {header} header must be one mailbox such as 'Together <no-reply@example.org>'")
    [given] = parsed.addresses
    address = _plain_address(header, given.addr_spec)
    return Address(checked(header, given.display_name), address.username, address.domain)


def _plain_address(header: str, addr_spec: str) -> Address:
    checked(header, addr_spec)
    try:
        address = Address(addr_spec=addr_spec)
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise UnsafeHeaderValue(f"the {header} header needs one plain address: {exc}") from exc
    if address.addr_spec != addr_spec:  # e.g. a comment or a route: the server would see another address
        raise UnsafeHeaderValue(f"the {header} header needs one plain address")
    return address


def verify_serialisable(mail: EmailMessage) -> None:
    """Write the message as it will be sent: UnsafeHeaderValue if any header would break out."""
    for policy in _AS_SENT:
        mail.as_bytes(policy=policy)
