"""The custom sender code envelope: round trip, and nothing else decrypts."""

from __future__ import annotations

import base64
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognate.triggers.code_encryption import decrypt_code, encrypt_code

KEY_ID = "arn:aws:kms:us-east-1:123456789012:key/abc"
MASTER = base64.b64encode(secrets.token_bytes(32)).decode()


@given(code=st.text(min_size=1, max_size=64), key_id=st.text(min_size=1, max_size=80))
def test_round_trip(code: str, key_id: str) -> None:
    assert decrypt_code(encrypt_code(code, key_id, MASTER), key_id, MASTER) == code


def test_each_encryption_differs() -> None:
    assert encrypt_code("123456", KEY_ID, MASTER) != encrypt_code("123456", KEY_ID, MASTER)


@given(index=st.integers(min_value=0))
def test_any_altered_byte_fails(index: int) -> None:
    envelope = bytearray(base64.b64decode(encrypt_code("123456", KEY_ID, MASTER)))
    envelope[index % len(envelope)] ^= 0x01
    with pytest.raises(ValueError):
        decrypt_code(base64.b64encode(envelope).decode(), KEY_ID, MASTER)


def test_other_key_id_or_master_key_fails() -> None:
    ciphertext = encrypt_code("123456", KEY_ID, MASTER)
    other_master = base64.b64encode(secrets.token_bytes(32)).decode()
    with pytest.raises(ValueError, match="does not decrypt"):
        decrypt_code(ciphertext, KEY_ID + "x", MASTER)
    with pytest.raises(ValueError, match="does not decrypt"):
        decrypt_code(ciphertext, KEY_ID, other_master)


@pytest.mark.parametrize("ciphertext", ["not base64!", "", base64.b64encode(b"\x02" * 40).decode()])
def test_malformed_input_fails(ciphertext: str) -> None:
    with pytest.raises(ValueError):
        decrypt_code(ciphertext, KEY_ID, MASTER)
