"""auth/totp.py: RFC 6238 vectors, the one-step window, secrets, and the otpauth URI."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
from hypothesis import given
from hypothesis import strategies as st

from cognate.auth import totp

# RFC 6238 Appendix B's SHA-1 seed, "12345678901234567890", in base32.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def test_rfc_6238_vectors_truncated_to_six_digits() -> None:
    # Appendix B lists 8-digit codes; 6-digit codes are their last six digits (RFC 4226 §5.3).
    for seconds, eight_digits in ((59, "94287082"), (1111111109, "07081804"),
                                  (1234567890, "89005924"), (2000000000, "69279037")):  # fmt: skip
        assert totp.code_at(RFC_SECRET, totp.step_of(at(seconds))) == eight_digits[-6:]


def test_new_secret_is_160_bits_of_base32() -> None:
    secrets = {totp.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert len(secret) == 32
        assert len(base64.b32decode(secret)) == totp.SECRET_BYTES


@given(seconds=st.integers(min_value=120, max_value=4_000_000_000), offset=st.integers(-3, 3))
def test_window_is_one_step_either_side(seconds: int, offset: int) -> None:
    """security-test-plan.md E48: steps -1, 0, +1 accepted, +-2 and beyond refused."""
    now = at(seconds)
    step = totp.step_of(now) + offset
    found = totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, step), now)
    if abs(offset) <= 1:
        assert found == step
    else:
        # Another step in the window may share the code by chance; never the one presented.
        assert found != step


def test_agrees_with_pyotp_as_an_authenticator() -> None:
    secret = totp.new_secret()
    now = datetime.now(UTC)
    code = pyotp.TOTP(secret).at(now)
    assert totp.matching_step(secret, code, now) == totp.step_of(now)
    later = pyotp.TOTP(secret).at(now + timedelta(seconds=30))
    assert totp.matching_step(secret, later, now) == totp.step_of(now) + 1


@given(code=st.text(max_size=8))
def test_malformed_codes_never_match(code: str) -> None:
    now = at(1111111109)
    expected = totp.code_at(RFC_SECRET, totp.step_of(now))
    if code not in {expected} | {totp.code_at(RFC_SECRET, totp.step_of(now) + d) for d in (-1, 1)}:
        assert totp.matching_step(RFC_SECRET, code, now) is None


def test_otpauth_uri_names_the_parameters() -> None:
    uri = urlparse(totp.otpauth_uri("ABC", account="alice@example.com", issuer="Cognate"))
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/Cognate:alice@example.com")
    query = parse_qs(uri.query)
    assert query["secret"] == ["ABC"]
    assert query["algorithm"] == ["SHA1"]
    assert query["digits"] == ["6"]
    assert query["period"] == ["30"]
