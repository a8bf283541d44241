"""One-time code rules: generation, lifetimes, destinations, simulated answers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognate.domain import codes
from cognate.errors import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    LimitExceededException,
    NotAuthorizedException,
    TooManyFailedAttemptsException,
)

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def test_codes_are_six_digits_and_spread_over_all_digits() -> None:
    drawn = [codes.new_code() for _ in range(20000)]
    assert all(len(code) == 6 and code.isdigit() for code in drawn)
    # Every digit position uses all ten digits about equally (chi-square, 9 degrees of freedom;
    # 46 is about the 1 - 1e-6 quantile, so a correct generator fails this about once in a
    # million runs per position, while a digit drawn 20 % too rarely scores about 90).
    for position in range(6):
        counts = Counter(code[position] for code in drawn)
        expected = len(drawn) / 10
        chi_square = sum((counts[str(d)] - expected) ** 2 / expected for d in range(10))
        assert chi_square < 46
    assert len(set(drawn)) > 19000


@pytest.mark.parametrize(
    ("purpose", "lifetime"),
    [
        (codes.Purpose.SIGN_UP, timedelta(hours=24)),
        (codes.Purpose.FORGOT_PASSWORD, timedelta(hours=1)),
        (codes.Purpose.VERIFY_EMAIL, timedelta(hours=24)),
        (codes.Purpose.VERIFY_PHONE_NUMBER, timedelta(hours=24)),
    ],
)
def test_lifetimes(purpose: codes.Purpose, lifetime: timedelta) -> None:
    expires = codes.expires_at(purpose, NOW)
    assert expires == NOW + lifetime
    second = timedelta(seconds=1)
    assert codes.is_live(expires=expires, used=None, now=expires - second)
    assert not codes.is_live(expires=expires, used=None, now=expires)
    assert not codes.is_live(expires=expires, used=None, now=expires + second)
    assert not codes.is_live(expires=expires, used=NOW, now=NOW)


def test_verify_purpose() -> None:
    assert codes.verify_purpose("email") is codes.Purpose.VERIFY_EMAIL
    assert codes.verify_purpose("phone_number") is codes.Purpose.VERIFY_PHONE_NUMBER
    with pytest.raises(InvalidParameterException):
        codes.verify_purpose("name")
    assert codes.send_purpose(codes.Purpose.SIGN_UP) == "SENT:SIGN_UP"


def test_raise_for() -> None:
    codes.raise_for(codes.Outcome.ACCEPTED)
    with pytest.raises(CodeMismatchException, match="please try again"):
        codes.raise_for(codes.Outcome.MISMATCH)
    with pytest.raises(ExpiredCodeException, match="request a code again"):
        codes.raise_for(codes.Outcome.EXPIRED)
    with pytest.raises(TooManyFailedAttemptsException, match="Attempt limit exceeded"):
        codes.raise_for(codes.Outcome.EXHAUSTED)
    with pytest.raises(LimitExceededException):
        codes.raise_for(codes.Outcome.EXHAUSTED, exhausted=LimitExceededException)


BOTH = {"email": "a@example.com", "phone_number": "+15551234567"}


def test_sign_up_destination_prefers_sms() -> None:
    both = codes.sign_up_destination(["email", "phone_number"], BOTH)
    assert both == codes.Destination(attribute="phone_number", address="+15551234567")
    assert both.medium == "SMS"
    email = codes.sign_up_destination(["email"], BOTH)
    assert email is not None and email.medium == "EMAIL"
    assert codes.sign_up_destination(["email", "phone_number"], {"email": "a@b"}) == (
        codes.Destination(attribute="email", address="a@b")
    )
    assert codes.sign_up_destination([], BOTH) is None
    assert codes.sign_up_destination(["phone_number"], {"email": "a@b"}) is None


VERIFIED_BOTH = {**BOTH, "email_verified": "true", "phone_number_verified": "true"}


def _recovery(*names: str) -> dict[str, object]:
    return {
        "RecoveryMechanisms": [
            {"Priority": index + 1, "Name": name} for index, name in enumerate(names)
        ]
    }


def test_recovery_destination_follows_the_setting() -> None:
    legacy = codes.recovery_destination(None, VERIFIED_BOTH)
    assert legacy.attribute == "phone_number"
    email_first = codes.recovery_destination(
        _recovery("verified_email", "verified_phone_number"), VERIFIED_BOTH
    )
    assert email_first.attribute == "email"
    unverified_email = {**VERIFIED_BOTH, "email_verified": "false"}
    fallback = codes.recovery_destination(
        _recovery("verified_email", "verified_phone_number"), unverified_email
    )
    assert fallback.attribute == "phone_number"
    with pytest.raises(InvalidParameterException, match="registered/verified"):
        codes.recovery_destination(_recovery("verified_email"), unverified_email)
    with pytest.raises(InvalidParameterException, match="registered/verified"):
        codes.recovery_destination(None, BOTH)
    with pytest.raises(NotAuthorizedException):
        codes.recovery_destination(_recovery("admin_only"), VERIFIED_BOTH)


@given(st.text(min_size=1, max_size=40), st.text(min_size=8, max_size=64))
def test_simulated_destination_is_stable(username: str, seed: str) -> None:
    first = codes.simulated_destination(None, ["email"], username, seed)
    assert first == codes.simulated_destination(None, ["email"], username, seed)
    assert first.attribute in ("email", "phone_number")


def test_simulated_destination_shapes() -> None:
    assert codes.simulated_destination(None, [], "bob@example.com", "s").address == (
        "bob@example.com"
    )
    phone = codes.simulated_destination(None, [], "+15550001111", "s")
    assert phone.attribute == "phone_number"
    by_sms = codes.simulated_destination(None, ["phone_number"], "bob", "seed")
    assert by_sms.medium == "SMS" and by_sms.address.startswith("+1555")
    by_mail = codes.simulated_destination(None, ["email"], "bob", "seed")
    assert by_mail.medium == "EMAIL" and "@" in by_mail.address
