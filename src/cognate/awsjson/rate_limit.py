"""Per-client token buckets for the public (unsigned) operations, checked before any work.

Security test plan B24-B26 and ASVS 2.4.1: a flood of InitiateAuth from one address gets
TooManyRequestsException "Rate exceeded" at once, before the body is validated and long before
any password work. Each (client address, operation category) pair has its own bucket, so a busy
single-page app's GetUser calls never use up its sign-in budget.

The client address is the socket peer. `X-Forwarded-For` counts only when the peer is a
trusted proxy, and then the right-most hop that is not itself a trusted proxy is the client
(RFC 9700 §4.13; authentik CVE-2024-47070: trusting the left-most hop lets anyone pick their
own key). IPv6 clients are keyed by their /64, the block one subscriber usually holds.

Memory stays bounded (B26): at most `max_keys` buckets, least recently used evicted first. An
evicted bucket comes back full, which is exactly what an idle one would be. Limits are per
process: N processes behind a load balancer allow up to N times the rate.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_MAX_KEYS = 100_000
"""Buckets kept at most; about 15 MB at the cap."""

_CATEGORIES: Mapping[str, str] = {
    "InitiateAuth": "sign_in",
    "RespondToAuthChallenge": "sign_in",
    "GetTokensFromRefreshToken": "sign_in",
    "SignUp": "sign_up",
    "ConfirmSignUp": "sign_up",
    "ResendConfirmationCode": "sign_up",
    "ForgotPassword": "recovery",
    "ConfirmForgotPassword": "recovery",
}


def category_of(operation: str) -> str:
    """The bucket family of an unsigned operation; token-authorised calls share `account`."""
    return _CATEGORIES.get(operation, "account")


class _Bucket:
    __slots__ = ("tokens", "updated_at")

    def __init__(self, tokens: float, updated_at: float) -> None:
        self.tokens = tokens
        self.updated_at = updated_at


class TokenBuckets:
    """Token buckets refilled at `rate` per second up to `burst`, one per key, LRU-bounded.

    Not thread-safe: the AWS JSON endpoint calls it from the event loop only.
    """

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        max_keys: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("rate must be > 0, burst and max_keys >= 1")
        self._rate = rate
        self._burst = float(burst)
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: tuple[str, str]) -> bool:
        """Spend one token of `key`'s bucket; False (nothing spent) when it is empty."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._buckets.popitem(last=False)
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        else:
            self._buckets.move_to_end(key)
            elapsed = max(0.0, now - bucket.updated_at)
            bucket.tokens = min(self._burst, bucket.tokens + elapsed * self._rate)
            bucket.updated_at = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True


def parse_networks(text: str | None) -> tuple[IpNetwork, ...]:
    """`10.0.0.1, 192.168.0.0/16, ::1` as networks; ValueError names a bad entry."""
    if not text:
        return ()
    networks = []
    for part in text.split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as exc:
            raise ValueError(f"{entry!r} is not an IP address or CIDR block") from exc
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[IpNetwork]
) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[IpNetwork]) -> str:
    """The address a request is limited (and logged) under.

    The socket `peer` unless it is a trusted proxy; then the right-most `X-Forwarded-For` hop
    that is not trusted. A hop that is no IP address stops the walk: the last trusted hop before
    it is used, since anything further left is the client's own claim.
    """
    current = _address(peer)
    if current is None or not trusted or not _is_trusted(current, trusted):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        current = address
        if not _is_trusted(address, trusted):
            break
    return str(current)


def bucket_key(address: str, operation: str) -> tuple[str, str]:
    """(client, category) with IPv6 clients folded to their /64."""
    return (_client_of(address), category_of(operation))


@functools.lru_cache(maxsize=4096)
def _client_of(address: str) -> str:
    # Parsed once per address: ipaddress costs more than the rest of a rate-limit check.
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed) if parsed is not None else address
