"""No log line carries an e-mail address, in any field, nested value or traceback."""

from __future__ import annotations

import json
import logging

import structlog

from together_servicekit.logging import configure_logging, mask_addresses


def test_an_address_keeps_its_first_character_and_domain_only():
    assert mask_addresses("550 5.1.1 <ravi.k@un.org>: recipient rejected") == "550 5.1.1 <r***@un.org>: recipient rejected"
    assert mask_addresses("no address here, nor @un.org nor a@b") == "no address here, nor @un.org nor a@b"


def test_every_line_is_masked_fields_nested_values_tracebacks_and_foreign_records(capsys):
    configure_logging("test", "INFO")
    log = structlog.get_logger("privacy")
    log.warning("mail.failed", reason="550 <amina@un.test> unknown", to={"address": "amina@un.test", "cc": ["bo@un.test"]})
    try:
        raise ValueError("duplicate key value (email)=(ravi@un.test)")
    except ValueError:
        log.exception("http.unexpected_error")
    logging.getLogger("aiosmtplib").warning("sending to %s", "lina@un.test")

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    written = json.dumps(lines)
    assert "@un.test" in written and not any(name in written for name in ("amina@", "bo@", "ravi@", "lina@"))
    assert lines[0]["to"] == {"address": "a***@un.test", "cc": ["b***@un.test"]}
    assert "(email)=(r***@un.test)" in lines[1]["exception"]
    assert lines[2]["event"] == "sending to l***@un.test"
