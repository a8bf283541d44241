"""The client's side of Cognito's USER_SRP_AUTH -> PASSWORD_VERIFIER, for load generation.

The maths is pycognito's (and amazon-cognito-identity-js's), built on the hashing and padding
helpers of `cognate.auth.srp`: A = g^a, u = H(A | B), x = H(salt | H(pool | user ":" pw)),
S = (B - k g^x)^(a + u x), key = HKDF(S, u), then the PASSWORD_CLAIM_SIGNATURE HMAC.

Two shortcuts keep the load generator's CPU off the server's cores, neither of which changes
what the server computes: a small pool of ephemeral pairs (a, A) is made up front and reused,
and g^x is cached per (user, salt). What is left per sign-in is one exponentiation.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cognate.auth.srp import (
    G,
    K,
    N,
    compute_x,
    expected_signature,
    format_timestamp,
    hex_hash,
    pad_hex,
    pool_name_of,
    powmod,
)

_HKDF_INFO = b"Caldera Derived Key\x01"


@dataclass
class SrpClient:
    """Answers PASSWORD_VERIFIER challenges for users of one pool who share one password."""

    pool_id: str
    password: str
    ephemeral_pairs: int = 64
    _pairs: list[tuple[int, int]] = field(default_factory=list)
    _by_user: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    _pending: dict[str, tuple[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for _ in range(self.ephemeral_pairs):
            small_a = secrets.randbits(256) | (1 << 255)
            self._pairs.append((small_a, powmod(G, small_a, N)))

    def srp_a(self, tag: str) -> str:
        """SRP_A for a new sign-in; `tag` names it until `answer` is called."""
        pair = self._pairs[secrets.randbelow(len(self._pairs))]
        self._pending[tag] = pair
        return format(pair[1], "x")

    def _x_and_gx(self, user_id: str, salt_hex: str) -> tuple[int, int]:
        cached = self._by_user.get((user_id, salt_hex))
        if cached is None:
            salt = bytes.fromhex(pad_hex(int(salt_hex, 16)))
            x = compute_x(pool_name_of(self.pool_id), user_id, self.password, salt)
            cached = self._by_user[(user_id, salt_hex)] = (x, powmod(G, x, N))
        return cached

    def answer(self, tag: str, parameters: dict[str, str]) -> dict[str, str]:
        """The ChallengeResponses for the PASSWORD_VERIFIER challenge `parameters`."""
        small_a, big_a = self._pending.pop(tag)
        user_id = parameters["USER_ID_FOR_SRP"]
        big_b = int(parameters["SRP_B"], 16)
        u = int(hex_hash(pad_hex(big_a) + pad_hex(big_b)), 16)
        x, g_x = self._x_and_gx(user_id, parameters["SALT"])
        shared = powmod((big_b - K * g_x) % N, small_a + u * x, N)
        prk = hmac.digest(bytes.fromhex(pad_hex(u)), bytes.fromhex(pad_hex(shared)), "sha256")
        key = hmac.digest(prk, _HKDF_INFO, "sha256")[:16]
        timestamp = format_timestamp(datetime.now(UTC))
        block = parameters["SECRET_BLOCK"]
        signature = expected_signature(
            key, pool_name_of(self.pool_id), user_id, base64.b64decode(block), timestamp
        )
        return {
            "USERNAME": parameters.get("USERNAME", user_id),
            "PASSWORD_CLAIM_SECRET_BLOCK": block,
            "PASSWORD_CLAIM_SIGNATURE": signature,
            "TIMESTAMP": timestamp,
        }
