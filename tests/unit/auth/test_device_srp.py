"""Device SRP: ConfirmDevice's verifier config, sealed verifiers, the device proof, and the
device step of the sign-in (a remembered device stands in for MFA)."""

from __future__ import annotations

import base64
import dataclasses
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cognate.auth import device_srp, flow, sessions, srp
from cognate.auth.flow import Challenge
from cognate.domain.device import Device, RememberedStatus
from cognate.errors import InvalidParameterException
from cognate.secretbox import SecretBox
from tests.unit.auth.test_flow import make_client, make_pool, make_user

BOX = SecretBox(secrets.token_bytes(32))
NOW = datetime(2026, 3, 3, 9, 5, 7, tzinfo=UTC)
GROUP, KEY = "-group", "us-east-1_0f0f"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_parse_verifier_config():
    salt, verifier = device_srp.parse_verifier_config(
        {"Salt": b64(b"\x00\x81salt"), "PasswordVerifier": b64((12345).to_bytes(3, "big"))}
    )
    assert salt == b"\x00\x81salt" and verifier == 12345
    for bad in (
        {"Salt": "not base64!", "PasswordVerifier": b64(b"\x05")},
        {"Salt": b64(b"s"), "PasswordVerifier": b64(b"\x00")},
        {"Salt": b64(b"s"), "PasswordVerifier": b64(b"\x01")},
        {"Salt": "", "PasswordVerifier": b64(b"\x05")},
        {"Salt": b64(b"s"), "PasswordVerifier": b64(srp.N.to_bytes(srp.N_BYTES, "big"))},
    ):
        with pytest.raises(InvalidParameterException):
            device_srp.parse_verifier_config(bad)


def test_sealed_verifier_opens_only_for_its_device():
    sealed_salt, sealed_verifier = device_srp.seal_verifier(BOX, KEY, b"salt", 99)
    assert device_srp.open_verifier(BOX, KEY, sealed_salt, sealed_verifier) == (b"salt", 99)
    with pytest.raises(ValueError):
        device_srp.open_verifier(BOX, "us-east-1_other", sealed_salt, sealed_verifier)


def client_proof(
    password: str, salt: bytes, start: tuple[int, int], when: datetime
) -> dict[str, str]:
    """What a device client sends for DEVICE_PASSWORD_VERIFIER (cognito-surface.md §9)."""
    small_a, big_b = start
    big_a = pow(srp.G, small_a, srp.N)
    u = int(srp.hex_hash(srp.pad_hex(big_a) + srp.pad_hex(big_b)), 16)
    x = srp.compute_x(GROUP, KEY, password, salt)
    shared = pow(big_b - srp.K * pow(srp.G, x, srp.N), small_a + u * x, srp.N)
    prk = hmac.digest(bytes.fromhex(srp.pad_hex(u)), bytes.fromhex(srp.pad_hex(shared)), "sha256")
    key = hmac.digest(prk, b"Caldera Derived Key\x01", "sha256")[:16]
    block = b64(b"opaque block")
    timestamp = srp.format_timestamp(when)
    signature = srp.expected_signature(key, GROUP, KEY, base64.b64decode(block), timestamp)
    return {
        "PASSWORD_CLAIM_SECRET_BLOCK": block,
        "PASSWORD_CLAIM_SIGNATURE": signature,
        "TIMESTAMP": timestamp,
    }


def verifier_session(big_a: int | None, small_b: int, big_b: int) -> sessions.AuthSession:
    return sessions.new_session(
        pool_id="p", client_id="c", username="alice", challenge="DEVICE_PASSWORD_VERIFIER",
        now=NOW, validity=timedelta(minutes=3), srp_a=big_a, srp_small_b=small_b, srp_big_b=big_b,
    )  # fmt: skip


@settings(max_examples=5, deadline=None)
@given(password=st.text(min_size=1, max_size=40), salt=st.binary(min_size=1, max_size=16))
def test_device_proof_verifies_only_with_the_device_password(password, salt):
    verifier = srp.compute_verifier(GROUP, KEY, password, salt)
    small_a = secrets.randbits(256)
    big_a = pow(srp.G, small_a, srp.N)
    small_b, big_b = srp.start(verifier)
    session = verifier_session(big_a, small_b, big_b)

    def check(responses: dict[str, str], now: datetime = NOW) -> bool:
        return device_srp.claim_is_valid(
            verifier=verifier, group_key=GROUP, device_key=KEY, session=session,
            responses=responses, now=now,
        )  # fmt: skip

    good = client_proof(password, salt, (small_a, big_b), NOW)
    assert check(good)
    assert not check(good, NOW + timedelta(minutes=6))
    assert not check(client_proof(password + "x", salt, (small_a, big_b), NOW))
    assert not check({**good, "PASSWORD_CLAIM_SECRET_BLOCK": "***"})
    without_a = verifier_session(None, small_b, big_b)
    assert not device_srp.claim_is_valid(
        verifier=verifier, group_key=GROUP, device_key=KEY, session=without_a,
        responses=good, now=NOW,
    )  # fmt: skip


def test_parameters_pad_the_salt():
    parameters = device_srp.password_verifier_parameters(
        salt=b"\x00\x9a", big_b=255, secret_block="blk", username="alice", device_key=KEY
    )
    assert parameters == {
        "SALT": "009a", "SRP_B": "ff", "SECRET_BLOCK": "blk", "USERNAME": "alice",
        "DEVICE_KEY": KEY,
    }  # fmt: skip


def device(status: RememberedStatus | None) -> Device:
    return Device(
        key=KEY, pool_id="p", user_id=7, group_key=GROUP, salt=b"s", verifier=b"v", name=None,
        remembered_status=status, created_at=NOW, last_authenticated_at=None,
        last_modified_at=NOW, last_ip=None,
    )  # fmt: skip


def test_remembered_device_stands_in_for_mfa():
    pool = make_pool()
    pool = dataclasses.replace(pool, config={
        **pool.config, "MfaConfiguration": "ON",
        "SoftwareTokenMfaConfiguration": {"Enabled": True},
    })  # fmt: skip
    user = make_user(None)
    plain = flow.Attempt(pool=pool, client=make_client(), user=user)
    mfa_challenge = flow.next_challenge(plain)
    assert mfa_challenge is not None and mfa_challenge != Challenge.DEVICE_SRP_AUTH
    remembered = flow.Attempt(
        pool=pool, client=make_client(), user=user, device=device(RememberedStatus.REMEMBERED)
    )
    assert flow.next_challenge(remembered) == Challenge.DEVICE_SRP_AUTH
    assert flow.challenge_parameters(Challenge.DEVICE_SRP_AUTH, remembered) == {}
    proven = flow.Attempt(
        pool=pool, client=make_client(), user=user, device=device(RememberedStatus.REMEMBERED),
        completed=("DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"),
    )  # fmt: skip
    assert flow.next_challenge(proven) is None
    forgotten = flow.Attempt(
        pool=pool, client=make_client(), user=user, device=device(RememberedStatus.NOT_REMEMBERED)
    )
    assert flow.next_challenge(forgotten) == mfa_challenge
