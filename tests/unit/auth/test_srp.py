"""Cognito SRP, server side, checked against pycognito's AWSSRP as an independent client."""

from __future__ import annotations

import base64
import importlib.util
import secrets
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from types import ModuleType

import gmpy2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycognito import aws_srp

from cognate.auth import srp
from cognate.errors import NotAuthorizedException

POOL_ID = "us-east-1_AbCdEfGhI"
POOL_NAME = "AbCdEfGhI"
# pycognito's AWSSRP encodes with str.encode("utf-8"), which cannot take lone surrogates.
TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
SLOW = settings(max_examples=25, deadline=None)


def salt_parameter(salt: bytes) -> str:
    """SALT as the server must send it: pad_hex of the salt read as an integer."""
    return srp.pad_hex(int.from_bytes(salt, "big"))


def sign_in_with_pycognito(
    *, username: str, password: str, salt_hex: str, verifier: int, user_id: str | None = None
) -> bool:
    """One PASSWORD_VERIFIER round: pycognito signs, our server functions verify."""
    user_id = username if user_id is None else user_id
    client = aws_srp.AWSSRP(
        username=username, password=password, pool_id=POOL_ID, client_id="c", client=object()
    )
    request = client.get_auth_params()
    big_a = srp.parse_hex(request["SRP_A"])
    assert big_a is not None
    assert srp.check_a(big_a)
    small_b, big_b = srp.start(verifier)
    secret_block = secrets.token_bytes(48)
    challenge = {
        "SALT": salt_hex,
        "SRP_B": format(big_b, "x"),
        "SECRET_BLOCK": base64.b64encode(secret_block).decode(),
        "USER_ID_FOR_SRP": user_id,
        "USERNAME": user_id,
    }
    response = client.process_challenge(challenge, request)
    assert base64.b64decode(response["PASSWORD_CLAIM_SECRET_BLOCK"]) == secret_block
    sent_at = srp.parse_timestamp(response["TIMESTAMP"])
    assert sent_at is not None
    assert abs(sent_at - datetime.now(UTC)) < timedelta(minutes=1)
    key = srp.session_key(big_a, big_b, small_b, verifier)
    expected = srp.expected_signature(key, POOL_NAME, user_id, secret_block, response["TIMESTAMP"])
    return srp.signatures_match(expected, response["PASSWORD_CLAIM_SIGNATURE"])


def test_group_constants_are_rfc_3526_and_match_pycognito():
    gmpy2.get_context().precision = 4000
    pi_bits = int(gmpy2.floor(gmpy2.mul_2exp(gmpy2.const_pi(), 2942)))
    assert 2**3072 - 2**3008 - 1 + 2**64 * (pi_bits + 1690314) == srp.N
    assert gmpy2.is_prime(srp.N) and gmpy2.is_prime((srp.N - 1) // 2)
    assert srp.N_BYTES == 384
    reference = aws_srp.AWSSRP(
        username="u", password="p", pool_id=POOL_ID, client_id="c", client=object()
    )
    assert (reference.big_n, reference.val_g, reference.val_k) == (srp.N, srp.G, srp.K)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "00"), (1, "01"), (0x7F, "7f"), (0x80, "0080"), (0x100, "0100"), (0xABC, "0abc")],
)
def test_pad_hex_examples(value, expected):
    assert srp.pad_hex(value) == expected


@given(st.integers(min_value=0, max_value=2**3100))
def test_pad_hex_agrees_with_pycognito_and_reads_back(value):
    rendered = srp.pad_hex(value)
    assert rendered == aws_srp.pad_hex(value)
    assert len(rendered) % 2 == 0
    assert rendered[0] in "01234567"
    assert int(rendered, 16) == value


@given(st.integers(min_value=0, max_value=2**300))
def test_g_pow_is_modular_exponentiation_of_g(exponent):
    """The fixed-base table gives exactly g^e mod N, within its 256 bits and beyond them."""
    assert srp.g_pow(exponent) == pow(srp.G, exponent, srp.N)


def test_g_pow_edges():
    for exponent in (0, 1, 255, 256, 2**255, 2**256 - 1, 2**256):
        assert srp.g_pow(exponent) == pow(srp.G, exponent, srp.N)


def test_pad_hex_rejects_negative():
    with pytest.raises(ValueError, match="non-negative"):
        srp.pad_hex(-1)


@given(st.binary())
def test_hex_hash_agrees_with_pycognito(data):
    assert srp.hex_hash(data.hex()) == aws_srp.hex_hash(data.hex())


def test_pool_name_of():
    assert srp.pool_name_of(POOL_ID) == POOL_NAME
    with pytest.raises(ValueError, match="<region>_<name>"):
        srp.pool_name_of("no-separator")


@pytest.mark.parametrize("text", ["", "-1", "0x10", "1_0", " 10", "10 ", "+1", "g", "١٢"])
def test_parse_hex_rejects_what_int_would_bend(text):
    assert srp.parse_hex(text) is None


def test_parse_hex_reads_both_cases():
    assert srp.parse_hex("0aF") == 0xAF


@given(username=TEXT, password=TEXT, salt=st.binary(min_size=16, max_size=16))
def test_verifier_derivation_matches_pycognito_formula(username, password, salt):
    identity = f"{POOL_NAME}{username}:{password}".encode()
    salt_hex = aws_srp.pad_hex(salt_parameter(salt))
    x = int(aws_srp.hex_hash(salt_hex + aws_srp.hash_sha256(identity)), 16)
    assert srp.compute_x(POOL_NAME, username, password, salt) == x
    assert srp.compute_verifier(POOL_NAME, username, password, salt) == pow(2, x, srp.N)


def test_make_verifier_salt_is_fresh_and_verifier_derives_from_it():
    salt, verifier = srp.make_verifier(POOL_NAME, "alice", "Passw0rd!")
    other_salt, other_verifier = srp.make_verifier(POOL_NAME, "alice", "Passw0rd!")
    assert len(salt) == 16
    assert salt != other_salt
    assert verifier != other_verifier
    assert verifier == srp.compute_verifier(POOL_NAME, "alice", "Passw0rd!", salt)


def test_pycognito_signs_in_against_our_server():
    salt, verifier = srp.make_verifier(POOL_NAME, "alice", "Passw0rd!")
    assert sign_in_with_pycognito(
        username="alice", password="Passw0rd!", salt_hex=salt_parameter(salt), verifier=verifier
    )


def test_user_id_for_srp_is_what_x_binds():
    uuid_name = "6f1c2a8e-0d9b-4c1e-9a55-3b1f0f1e2d3c"
    salt, verifier = srp.make_verifier(POOL_NAME, uuid_name, "Passw0rd!")
    assert sign_in_with_pycognito(
        username="alice@example.com",
        password="Passw0rd!",
        salt_hex=salt_parameter(salt),
        verifier=verifier,
        user_id=uuid_name,
    )
    assert not sign_in_with_pycognito(
        username="alice@example.com",
        password="Passw0rd!",
        salt_hex=salt_parameter(salt),
        verifier=verifier,
        user_id="alice@example.com",
    )


@SLOW
@given(username=TEXT, password=TEXT, salt=st.binary(min_size=16, max_size=16))
def test_client_and_server_agree_for_any_input(username, password, salt):
    verifier = srp.compute_verifier(POOL_NAME, username, password, salt)
    assert sign_in_with_pycognito(
        username=username, password=password, salt_hex=salt_parameter(salt), verifier=verifier
    )


@SLOW
@given(username=TEXT, password=TEXT, wrong=TEXT)
def test_wrong_password_never_verifies(username, password, wrong):
    if wrong == password:
        wrong += "x"
    salt, verifier = srp.make_verifier(POOL_NAME, username, password)
    assert not sign_in_with_pycognito(
        username=username, password=wrong, salt_hex=salt_parameter(salt), verifier=verifier
    )


@pytest.mark.parametrize(
    "salt",
    [
        bytes(16),
        b"\x00\x00" + bytes(range(1, 15)),
        b"\x80" + bytes(15),
        b"\xff" * 16,
        b"\x00\x80" + bytes(14),
    ],
    ids=["zero", "leading-zero-bytes", "high-bit", "all-ones", "zero-then-high-bit"],
)
def test_salt_padding_edge_cases(salt):
    verifier = srp.compute_verifier(POOL_NAME, "bob", "Passw0rd!", salt)
    assert sign_in_with_pycognito(
        username="bob", password="Passw0rd!", salt_hex=salt_parameter(salt), verifier=verifier
    )


def test_uncanonical_salt_hex_breaks_pycognito():
    # Why SALT must be pad_hex(int): pycognito re-pads the string it gets, keeping extra zeros.
    salt = b"\x00\x00" + bytes(range(1, 15))
    verifier = srp.compute_verifier(POOL_NAME, "bob", "Passw0rd!", salt)
    assert not sign_in_with_pycognito(
        username="bob", password="Passw0rd!", salt_hex=salt.hex(), verifier=verifier
    )


@pytest.mark.parametrize("big_a", [0, -1, srp.N, 2 * srp.N])
def test_degenerate_a_is_rejected(big_a):
    assert not srp.check_a(big_a)
    with pytest.raises(NotAuthorizedException, match=r"^Incorrect username or password\.$"):
        srp.session_key(big_a, 5, 7, 11)


def test_zero_u_is_rejected(monkeypatch):
    monkeypatch.setattr(srp, "hex_hash", lambda _hex: "00" * 32)
    with pytest.raises(NotAuthorizedException, match=r"^Incorrect username or password\.$"):
        srp.session_key(2, 5, 7, 11)


def test_start_gives_a_long_exponent_and_b_in_range():
    _salt, verifier = srp.make_verifier(POOL_NAME, "alice", "Passw0rd!")
    small_b, big_b = srp.start(verifier)
    assert small_b.bit_length() == 256
    assert 0 < big_b < srp.N
    assert big_b == (srp.K * verifier + pow(2, small_b, srp.N)) % srp.N


def test_start_retries_when_b_is_zero(monkeypatch):
    unlucky = (1 << 255) | 5
    # A verifier that makes k*v + g^b vanish for exactly this b.
    verifier = -pow(2, unlucky, srp.N) * pow(srp.K, -1, srp.N) % srp.N
    draws: Iterator[int] = iter([unlucky, 12345])
    monkeypatch.setattr(secrets, "randbits", lambda _bits: next(draws))
    small_b, big_b = srp.start(verifier)
    assert small_b == (1 << 255) | 12345
    assert big_b != 0


def test_signatures_match_is_exact_and_takes_any_text():
    assert srp.signatures_match("c2lnbmF0dXJl", "c2lnbmF0dXJl")
    assert not srp.signatures_match("c2lnbmF0dXJl", "c2lnbmF0dXJm")
    assert not srp.signatures_match("c2lnbmF0dXJl", "ä\ud800")


def test_format_timestamp_example_and_zone():
    assert srp.format_timestamp(datetime(2026, 3, 3, 9, 5, 7, tzinfo=UTC)) == (
        "Tue Mar 3 09:05:07 UTC 2026"
    )
    plus_two = timezone(timedelta(hours=2))
    assert srp.format_timestamp(datetime(2026, 1, 1, 1, 0, 0, tzinfo=plus_two)) == (
        "Wed Dec 31 23:00:00 UTC 2025"
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        srp.format_timestamp(datetime(2026, 3, 3))


@given(st.datetimes(min_value=datetime(1000, 1, 1), timezones=st.just(UTC)))
def test_timestamp_round_trips_and_matches_pycognito(moment):
    text = srp.format_timestamp(moment)
    assert text == aws_srp.AWSSRP.get_cognito_formatted_timestamp(moment)
    assert srp.parse_timestamp(text) == moment.replace(microsecond=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue Mar 3 09:05:07 UTC 2026", datetime(2026, 3, 3, 9, 5, 7, tzinfo=UTC)),
        ("Tue Mar 03 09:05:07 UTC 2026", datetime(2026, 3, 3, 9, 5, 7, tzinfo=UTC)),
        ("Tue Mar 3 9:5:7 UTC 2026", datetime(2026, 3, 3, 9, 5, 7, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_accepts_padding_variants(text, expected):
    assert srp.parse_timestamp(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Tue Feb 30 09:05:07 UTC 2026",
        "Tue Mar 3 24:05:07 UTC 2026",
        "tue Mar 3 09:05:07 UTC 2026",
        "Tue Mär 3 09:05:07 UTC 2026",
        "Tue Mar 3 09:05:07 GMT 2026",
        "Tue Mar 3 09:05:07 UTC 2026 ",
        "Tue Mar ٣ 09:05:07 UTC 2026",
        "Tue Mar 3 09:05:07 UTC 26",
        "2026-03-03T09:05:07Z",
    ],
)
def test_parse_timestamp_rejects_other_text(text):
    assert srp.parse_timestamp(text) is None


def load_srp_without_gmpy2(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A second copy of srp.py imported while gmpy2 cannot be imported."""
    monkeypatch.setitem(sys.modules, "gmpy2", None)
    spec = importlib.util.spec_from_file_location("srp_without_gmpy2", srp.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_gmpy2_results_are_identical(monkeypatch):
    fallback = load_srp_without_gmpy2(monkeypatch)
    assert srp.HAS_GMPY2
    assert not fallback.HAS_GMPY2
    salt = bytes(range(16))
    assert fallback.compute_verifier(POOL_NAME, "u", "p", salt) == srp.compute_verifier(
        POOL_NAME, "u", "p", salt
    )
    assert fallback.powmod(3, 10**6, srp.N) == srp.powmod(3, 10**6, srp.N)


@given(
    base=st.integers(min_value=0, max_value=2 * srp.N),
    exponent=st.integers(min_value=0, max_value=2**520),
)
def test_powmod_equals_builtin_pow(base, exponent):
    assert srp.powmod(base, exponent, srp.N) == pow(base, exponent, srp.N)
