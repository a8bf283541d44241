"""The password credential at rest: an encrypted SRP salt and verifier.

DESIGN §0 "Secrets at rest": Cognito's SRP fixes the verifier v = g^x mod N, so the verifier is
the password credential, used both for SRP sign-in and for checking a plaintext password
(USER_PASSWORD_AUTH, ChangePassword's PreviousPassword, password history). It is sealed with
the master key (`SecretBox`, purpose "srp-verifier") so that a stolen database alone yields
nothing to crack.

x depends on the pool name and the user's **internal** username (the UUID username in pools
where email or phone number is the username, never the alias typed at sign-in): callers pass
the username as stored. Renaming a user or moving a credential to another user therefore makes
it stop verifying, which is the point.

Layout of the plaintext (version 1): 0x01 | salt length (1 byte) | salt | v (384 bytes,
big-endian, the width of N).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Final

from cognate.auth import srp
from cognate.secretbox import SecretBox

PURPOSE: Final = "srp-verifier"
"""The SecretBox purpose (associated data) of password credentials."""

_VERSION_1 = 1
_HEADER_BYTES = 2


def encode_credential(secrets: SecretBox, *, pool_id: str, username: str, password: str) -> bytes:
    """A new encrypted credential for `password`, with a fresh random salt.

    `username` is the internal (stored) username. Raises ValueError for a malformed pool id.
    """
    salt, verifier = srp.make_verifier(srp.pool_name_of(pool_id), username, password)
    plaintext = bytes([_VERSION_1, len(salt)]) + salt + verifier.to_bytes(srp.N_BYTES, "big")
    return secrets.encrypt(plaintext, PURPOSE)


def load_verifier(secrets: SecretBox, credential: bytes) -> tuple[bytes, int]:
    """The (salt, v) pair sealed in `credential`, for the SRP PASSWORD_VERIFIER flow.

    Raises ValueError if the credential was altered, was sealed under another master key or
    purpose, or has an unknown layout: a corrupt credential is a server fault, not a wrong
    password.
    """
    plaintext = secrets.decrypt(credential, PURPOSE)
    if len(plaintext) < _HEADER_BYTES or plaintext[0] != _VERSION_1:
        raise ValueError("unknown password credential layout")
    salt_end = _HEADER_BYTES + plaintext[1]
    if len(plaintext) != salt_end + srp.N_BYTES:
        raise ValueError("password credential has the wrong length")
    return plaintext[_HEADER_BYTES:salt_end], int.from_bytes(plaintext[salt_end:], "big")


def check_password(
    secrets: SecretBox, credential: bytes, *, pool_id: str, username: str, password: str
) -> bool:
    """Whether `password` is the one `credential` was made from, for this pool and username.

    Recomputes g^x with the stored salt and compares the fixed-width encodings in constant
    time. `username` is the internal (stored) username. Raises ValueError like
    `load_verifier` for a corrupt credential.
    """
    salt, verifier = load_verifier(secrets, credential)
    candidate = srp.compute_verifier(srp.pool_name_of(pool_id), username, password, salt)
    return hmac.compare_digest(
        candidate.to_bytes(srp.N_BYTES, "big"), verifier.to_bytes(srp.N_BYTES, "big")
    )


def matches_any(
    secrets: SecretBox,
    credentials: Sequence[bytes],
    *,
    pool_id: str,
    username: str,
    password: str,
) -> bool:
    """Whether `password` matches any of `credentials`: the PasswordHistorySize check.

    Every credential is checked (no early exit), so the time taken says nothing about which
    entry matched. Raises ValueError like `load_verifier` if any credential is corrupt.
    """
    results = [
        check_password(secrets, credential, pool_id=pool_id, username=username, password=password)
        for credential in credentials
    ]
    return any(results)
