"""How a client reaches Kafka: the one place that turns settings into aiokafka's connection arguments.

Every producer, consumer and admin client of the project is built with `kafka_options(...)`. Where
the brokers are comes from the caller (`KAFKA_BOOTSTRAP_SERVERS` by convention); how to log in comes
from the environment:

| variable | meaning |
| --- | --- |
| `KAFKA_SECURITY_PROTOCOL` | `PLAINTEXT` (the default), `SSL`, `SASL_PLAINTEXT` or `SASL_SSL` |
| `KAFKA_SASL_MECHANISM` | `SCRAM-SHA-512` (the default), `SCRAM-SHA-256` or `PLAIN` |
| `KAFKA_SASL_USERNAME` | the principal to log in as |
| `KAFKA_SASL_PASSWORD_FILE` or `KAFKA_SASL_PASSWORD` | its password: a file holding it (preferred), or the password |
| `KAFKA_SSL_CA_FILE` | PEM file of the certificate authorities to trust; the system's when unset |

A service reads each of them with its own prefix first (`PAIRING_KAFKA_SASL_USERNAME`), as its other
settings. The username and password are one: a prefixed username takes only a prefixed password,
so a service never logs in as itself with the password of the principal in the shared variables.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


@dataclass(frozen=True)
class KafkaSecurity:
    protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    username: str = ""
    password: str = field(default="", repr=False)
    ca_file: str = ""

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"KAFKA_SECURITY_PROTOCOL must be one of {', '.join(PROTOCOLS)}, not {self.protocol!r}")
        if self.sasl_mechanism not in MECHANISMS:
            raise ValueError(f"KAFKA_SASL_MECHANISM must be one of {', '.join(MECHANISMS)}, not {self.sasl_mechanism!r}")

    @property
    def encrypted(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    @property
    def authenticated(self) -> bool:
        return self.protocol.startswith("SASL_")

    @classmethod
    def from_environment(cls, prefix: str = "", environ: Mapping[str, str] | None = None) -> KafkaSecurity:
        """The settings above, each under `prefix` (e.g. "PAIRING_") first, then without it."""
        env = os.environ if environ is None else environ

        def setting(name: str, default: str = "") -> str:
            return env.get(f"{prefix}{name}") or env.get(name) or default

        own = prefix and env.get(f"{prefix}KAFKA_SASL_USERNAME")
        login = prefix if own else ""
        return cls(
            protocol=setting("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper(),
            sasl_mechanism=setting("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512").upper(),
            username=env.get(f"{login}KAFKA_SASL_USERNAME", ""),
            password=_password(env, login),
            ca_file=setting("KAFKA_SSL_CA_FILE"),
        )

    def as_principal(self, username: str, password: str) -> KafkaSecurity:
        """The same connection, logged in as someone else (tests of what each principal may do)."""
        return replace(self, username=username, password=password)

    def client_options(self) -> dict[str, Any]:
        """aiokafka's keyword arguments for this way of connecting (without the bootstrap servers)."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.authenticated:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password,
            }
        if self.encrypted:
            # Verifies the broker's certificate and its host name against the trusted authorities.
            options["ssl_context"] = ssl.create_default_context(cafile=self.ca_file or None)
        return options


def _password(env: Mapping[str, str], prefix: str) -> str:
    path = env.get(f"{prefix}KAFKA_SASL_PASSWORD_FILE")
    if path:
        return Path(path).read_text().strip()
    return env.get(f"{prefix}KAFKA_SASL_PASSWORD", "")


def kafka_options(bootstrap_servers: str, security: KafkaSecurity | None = None) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient: where the
    brokers are, and how to log in (`security`, by default read from the environment)."""
    security = KafkaSecurity.from_environment() if security is None else security
    return {"bootstrap_servers": bootstrap_servers, **security.client_options()}
