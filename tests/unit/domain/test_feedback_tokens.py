"""FeedbackToken sealing: round trip, expiry, tamper and purpose binding."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from cognate.domain import feedback_tokens
from cognate.secretbox import SecretBox

BOX = SecretBox(b"\x07" * 32)
NOW = datetime(2025, 1, 1, tzinfo=UTC)
PATTERN = re.compile(r"[A-Za-z0-9\-_=.]+")  # the model's FeedbackToken pattern
_ids = st.text(min_size=1, max_size=50)


@given(pool_id=_ids, user_sub=_ids, event_id=_ids)
def test_round_trip_within_the_pattern(pool_id: str, user_sub: str, event_id: str) -> None:
    token = feedback_tokens.seal(
        BOX, pool_id=pool_id, user_sub=user_sub, event_id=event_id, now=NOW
    )
    assert PATTERN.fullmatch(token)
    grant = feedback_tokens.unseal(BOX, token, now=NOW + timedelta(days=6))
    assert grant is not None
    assert (grant.pool_id, grant.user_sub, grant.event_id) == (pool_id, user_sub, event_id)


def _token() -> str:
    return feedback_tokens.seal(BOX, pool_id="p", user_sub="s", event_id="e", now=NOW)


def test_expires_after_seven_days() -> None:
    token = _token()
    assert feedback_tokens.unseal(BOX, token, now=NOW + timedelta(days=7)) is None


@given(data=st.data())
def test_any_flipped_byte_is_refused(data: st.DataObject) -> None:
    raw = bytearray(base64.urlsafe_b64decode(_token() + "=="))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    token = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    assert feedback_tokens.unseal(BOX, token, now=NOW) is None


def test_other_keys_purposes_and_garbage_are_refused() -> None:
    assert feedback_tokens.unseal(SecretBox(b"\x08" * 32), _token(), now=NOW) is None
    other_purpose = base64.urlsafe_b64encode(BOX.encrypt(b"{}", "hosted-ui-csrf")).decode()
    assert feedback_tokens.unseal(BOX, other_purpose, now=NOW) is None
    not_a_grant = base64.urlsafe_b64encode(BOX.encrypt(b"[1]", feedback_tokens.PURPOSE)).decode()
    assert feedback_tokens.unseal(BOX, not_a_grant, now=NOW) is None
    for garbage in ("", "x", "!!!!", "A" * 40):
        assert feedback_tokens.unseal(BOX, garbage, now=NOW) is None


def test_link() -> None:
    url = feedback_tokens.link("https://auth.example.com", "tok", "invalid")
    parts = urlsplit(url)
    assert parts.path == "/_feedback"
    assert parse_qs(parts.query) == {"t": ["tok"], "v": ["invalid"]}
