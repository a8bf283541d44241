"""Token buckets, client addresses and bucket keys of the AWS JSON edge (plan B24-B26)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognate.awsjson.rate_limit import (
    TokenBuckets,
    bucket_key,
    category_of,
    client_address,
    parse_networks,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_empty() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=2, burst=5, clock=clock)
    assert [buckets.take(("a", "sign_in")) for _ in range(6)] == [True] * 5 + [False]


def test_refill_at_rate_up_to_burst() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=2, burst=5, clock=clock)
    for _ in range(5):
        buckets.take(("a", "sign_in"))
    clock.now += 0.49
    assert not buckets.take(("a", "sign_in"))
    clock.now += 0.01
    assert buckets.take(("a", "sign_in"))
    assert not buckets.take(("a", "sign_in"))
    clock.now += 3600
    assert [buckets.take(("a", "sign_in")) for _ in range(6)] == [True] * 5 + [False]


def test_refused_requests_spend_nothing() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=1, burst=1, clock=clock)
    assert buckets.take(("a", "x"))
    for _ in range(100):
        assert not buckets.take(("a", "x"))
    clock.now += 1.0
    assert buckets.take(("a", "x"))


def test_keys_are_independent() -> None:
    buckets = TokenBuckets(rate=1, burst=1, clock=FakeClock())
    assert buckets.take(("a", "sign_in"))
    assert not buckets.take(("a", "sign_in"))
    assert buckets.take(("a", "account"))
    assert buckets.take(("b", "sign_in"))


def test_backwards_clock_does_not_mint_tokens() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=1, burst=1, clock=clock)
    assert buckets.take(("a", "x"))
    clock.now -= 50
    assert not buckets.take(("a", "x"))


@pytest.mark.parametrize(("rate", "burst", "max_keys"), [(0, 1, 1), (1, 0, 1), (1, 1, 0)])
def test_invalid_parameters(rate: float, burst: int, max_keys: int) -> None:
    with pytest.raises(ValueError, match="rate must be"):
        TokenBuckets(rate=rate, burst=burst, max_keys=max_keys)


@settings(max_examples=50, deadline=None)
@given(
    max_keys=st.integers(min_value=1, max_value=50),
    keys=st.lists(st.integers(min_value=0, max_value=500), max_size=400),
)
def test_memory_is_bounded_and_recent_keys_survive(max_keys: int, keys: list[int]) -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=1, burst=1, max_keys=max_keys, clock=clock)
    for key in keys:
        buckets.take((str(key), "sign_in"))
        assert len(buckets) <= max_keys
    if keys:
        # The most recently used key is still tracked: its bucket is empty, not fresh.
        assert not buckets.take((str(keys[-1]), "sign_in"))


def test_flood_of_distinct_addresses_stays_at_the_cap() -> None:
    buckets = TokenBuckets(rate=1, burst=1, max_keys=1000, clock=FakeClock())
    for index in range(20_000):
        buckets.take((f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}", "sign_in"))
    assert len(buckets) == 1000


TRUSTED = parse_networks("10.0.0.0/8, 127.0.0.1, fd00::/8")


@pytest.mark.parametrize(
    ("peer", "headers", "expected"),
    [
        ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),  # untrusted peer: header ignored
        ("127.0.0.1", [], "127.0.0.1"),  # trusted peer, no header
        ("127.0.0.1", ["1.2.3.4"], "1.2.3.4"),
        ("127.0.0.1", ["6.6.6.6, 1.2.3.4"], "1.2.3.4"),  # spoofed left hop ignored
        ("127.0.0.1", ["6.6.6.6, 1.2.3.4, 10.1.1.1"], "1.2.3.4"),  # chain of trusted proxies
        ("127.0.0.1", ["6.6.6.6", "1.2.3.4"], "1.2.3.4"),  # repeated header lines
        ("127.0.0.1", ["10.0.0.2, 10.0.0.3"], "10.0.0.2"),  # only trusted hops: left-most
        ("127.0.0.1", ["1.2.3.4, garbage"], "127.0.0.1"),  # a non-address stops the walk
        ("127.0.0.1", ["garbage, 10.0.0.5"], "10.0.0.5"),
        ("fd00::1", ["2001:db8::7"], "2001:db8::7"),
        ("::ffff:127.0.0.1", ["1.2.3.4"], "1.2.3.4"),
        ("not-an-ip", ["1.2.3.4"], "not-an-ip"),
    ],
)
def test_client_address(peer: str, headers: list[str], expected: str) -> None:
    assert client_address(peer, headers, TRUSTED) == expected


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("127.0.0.1", ["1.2.3.4"], ()) == "127.0.0.1"


def test_parse_networks() -> None:
    assert parse_networks(None) == ()
    assert [str(net) for net in parse_networks(" 10.1.2.3/8 ,, ::1")] == ["10.0.0.0/8", "::1/128"]
    with pytest.raises(ValueError, match="'nope' is not an IP"):
        parse_networks("10.0.0.1,nope")


def test_bucket_keys() -> None:
    assert bucket_key("1.2.3.4", "InitiateAuth") == ("1.2.3.4", "sign_in")
    assert bucket_key("::ffff:1.2.3.4", "SignUp") == ("1.2.3.4", "sign_up")
    # One IPv6 subscriber (a /64) cannot rotate through its addresses to escape the limit.
    assert bucket_key("2001:db8:1:2::1", "ForgotPassword") == bucket_key(
        "2001:db8:1:2:ffff::9", "ConfirmForgotPassword"
    )
    assert bucket_key("2001:db8:1:2::1", "GetUser") == ("2001:db8:1:2::/64", "account")
    assert bucket_key("", "GetUser") == ("", "account")


def test_categories() -> None:
    assert category_of("RespondToAuthChallenge") == "sign_in"
    assert category_of("ResendConfirmationCode") == "sign_up"
    assert category_of("ConfirmForgotPassword") == "recovery"
    assert category_of("RevokeToken") == "account"
