"""The encrypted password credential: round trips, wrong passwords, tampering, moved rows."""

from __future__ import annotations

import base64
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycognito import aws_srp

from cognate.auth import passwords, srp
from cognate.secretbox import SecretBox

POOL_ID = "us-east-1_AbCdEfGhI"
BOX = SecretBox(secrets.token_bytes(32))
PASSWORD = "Passw0rd!"
TEXT = st.text(st.characters(codec="utf-8"), max_size=30)


def credential_for(username: str = "alice", password: str = PASSWORD) -> bytes:
    return passwords.encode_credential(BOX, pool_id=POOL_ID, username=username, password=password)


def check(credential: bytes, username: str = "alice", password: str = PASSWORD) -> bool:
    return passwords.check_password(
        BOX, credential, pool_id=POOL_ID, username=username, password=password
    )


@settings(max_examples=30, deadline=None)
@given(username=TEXT, password=TEXT, wrong=TEXT)
def test_round_trip_and_wrong_password(username, password, wrong):
    credential = credential_for(username, password)
    assert check(credential, username, password)
    if wrong != password:
        assert not check(credential, username, wrong)


def test_same_password_gives_different_credentials():
    assert credential_for() != credential_for()


def test_load_verifier_gives_the_srp_salt_and_verifier():
    salt, verifier = passwords.load_verifier(BOX, credential_for())
    assert len(salt) == 16
    assert verifier == srp.compute_verifier("AbCdEfGhI", "alice", "Passw0rd!", salt)


def test_loaded_verifier_serves_a_pycognito_sign_in():
    salt, verifier = passwords.load_verifier(BOX, credential_for())
    client = aws_srp.AWSSRP(
        username="alice", password="Passw0rd!", pool_id=POOL_ID, client_id="c", client=object()
    )
    request = client.get_auth_params()
    big_a = int(request["SRP_A"], 16)
    small_b, big_b = srp.start(verifier)
    block = b"sealed-session"
    challenge = {
        "SALT": srp.pad_hex(int.from_bytes(salt, "big")),
        "SRP_B": format(big_b, "x"),
        "SECRET_BLOCK": base64.b64encode(block).decode(),
        "USER_ID_FOR_SRP": "alice",
        "USERNAME": "alice",
    }
    response = client.process_challenge(challenge, request)
    key = srp.session_key(big_a, big_b, small_b, verifier)
    expected = srp.expected_signature(key, "AbCdEfGhI", "alice", block, response["TIMESTAMP"])
    assert srp.signatures_match(expected, response["PASSWORD_CLAIM_SIGNATURE"])


def test_credential_moved_to_another_user_or_pool_does_not_verify():
    credential = credential_for()
    assert not check(credential, username="mallory")
    assert not passwords.check_password(
        BOX, credential, pool_id="us-east-1_Other", username="alice", password="Passw0rd!"
    )


@settings(max_examples=40)
@given(data=st.data())
def test_any_flipped_byte_raises(data):
    credential = bytearray(credential_for())
    index = data.draw(st.integers(min_value=0, max_value=len(credential) - 1))
    credential[index] ^= data.draw(st.integers(min_value=1, max_value=255))
    with pytest.raises(ValueError, match="does not authenticate"):
        check(bytes(credential))


def test_other_master_key_or_purpose_raises():
    credential = credential_for()
    with pytest.raises(ValueError, match="does not authenticate"):
        passwords.load_verifier(SecretBox(secrets.token_bytes(32)), credential)
    totp_sealed = BOX.encrypt(BOX.decrypt(credential, passwords.PURPOSE), "totp-seed")
    with pytest.raises(ValueError, match="does not authenticate"):
        passwords.load_verifier(BOX, totp_sealed)


@pytest.mark.parametrize(
    ("plaintext", "message"),
    [
        (b"", "unknown password credential layout"),
        (b"\x02\x10" + bytes(16 + 384), "unknown password credential layout"),
        (b"\x01\x10" + bytes(16 + 383), "wrong length"),
        (b"\x01\xff" + bytes(16 + 384), "wrong length"),
    ],
)
def test_malformed_layouts_raise(plaintext, message):
    with pytest.raises(ValueError, match=message):
        passwords.load_verifier(BOX, BOX.encrypt(plaintext, passwords.PURPOSE))


def test_malformed_pool_id_raises():
    with pytest.raises(ValueError, match="<region>_<name>"):
        passwords.encode_credential(BOX, pool_id="nopool", username="a", password="p")


def test_matches_any_checks_password_history():
    history = [credential_for(password=f"Old-{n}-pass") for n in range(3)]
    kwargs = {"pool_id": POOL_ID, "username": "alice"}
    assert passwords.matches_any(BOX, history, password="Old-1-pass", **kwargs)
    assert not passwords.matches_any(BOX, history, password="Brand-new-1", **kwargs)
    assert not passwords.matches_any(BOX, [], password="Old-1-pass", **kwargs)
    assert not passwords.matches_any(
        BOX, history, pool_id=POOL_ID, username="bob", password="Old-1-pass"
    )
