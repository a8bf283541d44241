"""The device half of Cognito's SRP: ConfirmDevice's verifier, DEVICE_SRP_AUTH and
DEVICE_PASSWORD_VERIFIER (cognito-surface.md §9 "Remembered devices").

The maths is the user SRP of auth/srp.py with the device's own identity: the client picks a
random device password and salt and sends v_d = g^x_d mod N with
x_d = H(pad_hex(salt) | H(DeviceGroupKey | DeviceKey | ":" | devicePassword)); at sign-in it
proves knowledge of that password exactly as PASSWORD_VERIFIER does, with poolName :=
DeviceGroupKey and USER_ID_FOR_SRP := DeviceKey in the signed message. Salt and verifier are
kept encrypted (SecretBox purpose bound to the device key, so a ciphertext moved to another
device row does not decrypt): v_d is password-equivalent for that device.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cognate.auth import srp
from cognate.auth.flow import TIMESTAMP_SKEW
from cognate.auth.sessions import AuthSession
from cognate.errors import InvalidParameterException
from cognate.secretbox import SecretBox

_PURPOSE = "device-verifier"


def _purpose(device_key: str) -> str:
    return f"{_PURPOSE}:{device_key}"


def parse_verifier_config(config: Mapping[str, Any]) -> tuple[bytes, int]:
    """(salt, v_d) from ConfirmDevice's DeviceSecretVerifierConfig, both base64 of raw bytes.

    InvalidParameterException when either is missing or not base64, or v_d is not a usable
    verifier (0 or a multiple of N would make every proof trivial).
    """
    try:
        salt = base64.b64decode(config.get("Salt") or "", validate=True)
        raw = base64.b64decode(config.get("PasswordVerifier") or "", validate=True)
    except binascii.Error:
        raise InvalidParameterException("Invalid device secret verifier config.") from None
    verifier = int.from_bytes(raw, "big")
    if not salt or verifier % srp.N in (0, 1):
        raise InvalidParameterException("Invalid device secret verifier config.")
    return salt, verifier


def seal_verifier(
    box: SecretBox, device_key: str, salt: bytes, verifier: int
) -> tuple[bytes, bytes]:
    """The stored (salt, verifier) ciphertexts of a device."""
    purpose = _purpose(device_key)
    return (
        box.encrypt(salt, purpose),
        box.encrypt(verifier.to_bytes(srp.N_BYTES, "big"), purpose),
    )


def open_verifier(
    box: SecretBox, device_key: str, salt: bytes, verifier: bytes
) -> tuple[bytes, int]:
    """The device's (salt, v_d) from their ciphertexts."""
    purpose = _purpose(device_key)
    return box.decrypt(salt, purpose), int.from_bytes(box.decrypt(verifier, purpose), "big")


def password_verifier_parameters(
    *, salt: bytes, big_b: int, secret_block: str, username: str, device_key: str
) -> dict[str, str]:
    """DEVICE_PASSWORD_VERIFIER's ChallengeParameters: SALT canonically padded as for users."""
    return {
        "SALT": srp.pad_hex(int.from_bytes(salt, "big")),
        "SRP_B": format(big_b, "x"),
        "SECRET_BLOCK": secret_block,
        "USERNAME": username,
        "DEVICE_KEY": device_key,
    }


def claim_is_valid(
    *,
    verifier: int,
    group_key: str,
    device_key: str,
    session: AuthSession,
    responses: Mapping[str, str],
    now: datetime,
) -> bool:
    """Whether DEVICE_PASSWORD_VERIFIER's answer proves the device password. CPU-heavy.

    As flow.password_claim_is_valid, with the device's verifier and identity; the key is
    derived even when the timestamp is bad, so timing does not say which check failed.
    """
    if session.srp_a is None or session.srp_small_b is None or session.srp_big_b is None:
        return False
    key = srp.session_key(session.srp_a, session.srp_big_b, session.srp_small_b, verifier)
    timestamp = responses["TIMESTAMP"]
    try:
        block = base64.b64decode(responses["PASSWORD_CLAIM_SECRET_BLOCK"], validate=True)
    except binascii.Error:
        return False
    expected = srp.expected_signature(key, group_key, device_key, block, timestamp)
    is_signed = srp.signatures_match(expected, responses["PASSWORD_CLAIM_SIGNATURE"])
    moment = srp.parse_timestamp(timestamp)
    return is_signed and moment is not None and abs(moment - now) <= TIMESTAMP_SKEW
