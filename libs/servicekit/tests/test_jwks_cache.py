"""The identity provider's keys are trusted only while the JWK set they came from is fresh."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from together_servicekit.auth import AuthSettings, JwksCache, Unauthenticated

URL = "https://identity.example/.well-known/jwks.json"


def public_jwk(kid: str) -> dict[str, object]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk: dict[str, object] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


class Provider:
    """A JWKS endpoint the test edits, counting its fetches; `down` makes it fail."""

    def __init__(self, *kids: str) -> None:
        self.keys = {kid: public_jwk(kid) for kid in kids}
        self.fetches = 0
        self.down = False

    def __call__(self, url: str) -> object:
        assert url == URL
        self.fetches += 1
        if self.down:
            raise ValueError("connection refused")
        return {"keys": list(self.keys.values())}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def cache(provider: Provider, clock: Clock) -> JwksCache:
    return JwksCache(URL, lifetime=300, refetch_interval=10, fetch=provider, clock=clock)


def test_keys_are_fetched_once_and_served_while_fresh(clock: Clock):
    provider = Provider("k1")
    keys = cache(provider, clock)
    assert keys.signing_key("k1").key_id == "k1"
    clock.now += 299
    assert keys.signing_key("k1").key_id == "k1"
    assert provider.fetches == 1


def test_a_removed_key_is_refused_once_the_cache_lifetime_has_passed(clock: Clock):
    provider = Provider("old")
    keys = cache(provider, clock)
    keys.signing_key("old")
    provider.keys = {"new": public_jwk("new")}  # rotated: the old key is no longer published

    clock.now += 299
    assert keys.signing_key("old").key_id == "old"  # the cached set is still fresh
    clock.now += 1
    with pytest.raises(Unauthenticated, match="no key with the token's key id"):
        keys.signing_key("old")
    assert keys.signing_key("new").key_id == "new"


def test_stale_keys_are_not_trusted_when_the_provider_cannot_be_reached(clock: Clock):
    provider = Provider("k1")
    keys = cache(provider, clock)
    keys.signing_key("k1")
    provider.down = True
    clock.now += 300
    with pytest.raises(Unauthenticated, match="keys cannot be fetched"):
        keys.signing_key("k1")
    # Failed fetches are not retried on every request either.
    with pytest.raises(Unauthenticated, match="keys cannot be fetched"):
        keys.signing_key("k1")
    assert provider.fetches == 2

    provider.down = False
    clock.now += 10
    assert keys.signing_key("k1").key_id == "k1"


def test_a_newly_published_key_is_fetched_on_first_sight(clock: Clock):
    provider = Provider("k1")
    keys = cache(provider, clock)
    keys.signing_key("k1")
    provider.keys["k2"] = public_jwk("k2")
    clock.now += 10
    assert keys.signing_key("k2").key_id == "k2"
    assert provider.fetches == 2


def test_a_flood_of_unknown_key_ids_fetches_at_most_once_per_interval(clock: Clock):
    provider = Provider("k1")
    keys = cache(provider, clock)
    keys.signing_key("k1")
    clock.now += 10
    for n in range(1000):
        with pytest.raises(Unauthenticated, match="no key with the token's key id"):
            keys.signing_key(f"made-up-{n}")
        clock.now += 0.001
    assert provider.fetches == 2  # the first made-up id refetched; the rest waited for the interval
    assert keys.signing_key("k1").key_id == "k1"  # the known key still verifies throughout


def test_keys_not_for_signing_are_not_trusted(clock: Clock):
    provider = Provider("k1")
    provider.keys["k1"]["use"] = "enc"
    with pytest.raises(Unauthenticated, match="no key with the token's key id"):
        cache(provider, clock).signing_key("k1")


def test_the_refetch_interval_never_exceeds_the_lifetime(clock: Clock):
    assert JwksCache(URL, lifetime=2, refetch_interval=10, fetch=Provider(), clock=clock).refetch_interval == 2


def test_the_cache_time_is_a_setting_and_must_be_positive(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("TOGETHER_AUTH_PUBLIC_KEY_FILE", raising=False)
    monkeypatch.delenv("TOGETHER_AUTH_JWKS_CACHE_SECONDS", raising=False)
    assert AuthSettings.from_environment().jwks_cache_seconds == 300
    monkeypatch.setenv("TOGETHER_AUTH_JWKS_CACHE_SECONDS", "30")
    assert AuthSettings.from_environment().jwks_cache_seconds == 30
    for bad in ("0", "-5", "soon", "nan"):
        monkeypatch.setenv("TOGETHER_AUTH_JWKS_CACHE_SECONDS", bad)
        with pytest.raises(ValueError, match="TOGETHER_AUTH_JWKS_CACHE_SECONDS must be a positive number of seconds"):
            AuthSettings.from_environment()
