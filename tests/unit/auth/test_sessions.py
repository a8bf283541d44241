"""Sealed Sessions and SECRET_BLOCKs: round trip, tampering, expiry, binding, single use."""

from __future__ import annotations

import asyncio
import base64
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cognate.auth import sessions
from cognate.errors import NotAuthorizedException
from cognate.secretbox import SecretBox
from cognate.settings import Settings
from cognate.store.store import Store

BOX = SecretBox(secrets.token_bytes(32))
NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)
PURPOSES = st.sampled_from([sessions.SESSION_PURPOSE, sessions.SECRET_BLOCK_PURPOSE])
BIG = st.none() | st.integers(min_value=0, max_value=2**3072)
NAMES = st.text(max_size=40)

SESSIONS = st.builds(
    sessions.AuthSession,
    id=st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    pool_id=NAMES,
    client_id=NAMES,
    username=NAMES,
    challenge=NAMES,
    issued_at=st.datetimes(timezones=st.just(UTC)),
    expires_at=st.datetimes(timezones=st.just(UTC)),
    completed=st.lists(NAMES, max_size=3).map(tuple),
    srp_a=BIG,
    srp_small_b=BIG,
    srp_big_b=BIG,
    user_sub=st.none() | NAMES,
    setup_email=st.none() | NAMES,
)


def make(**overrides: Any) -> sessions.AuthSession:
    fields: dict[str, Any] = {
        "pool_id": "us-east-1_Pool",
        "client_id": "client",
        "username": "alice",
        "challenge": "NEW_PASSWORD_REQUIRED",
        "now": NOW,
        "validity": timedelta(minutes=3),
    }
    fields.update(overrides)
    return sessions.new_session(**fields)


@settings(max_examples=60)
@given(session=SESSIONS, purpose=PURPOSES)
def test_unseal_of_seal_is_identity(session, purpose):
    sealed = sessions.seal(BOX, session, purpose)
    assume(session.expires_at > datetime.min.replace(tzinfo=UTC))
    just_before_expiry = session.expires_at - timedelta(microseconds=1)
    opened = sessions.unseal(
        BOX, sealed, purpose, client_id=session.client_id, now=just_before_expiry
    )
    assert opened == session


@settings(max_examples=200)
@given(position=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=127))
def test_any_flipped_byte_is_rejected(position, mask):
    session = make(srp_a=12345, srp_small_b=678, srp_big_b=9)
    sealed = sessions.seal(BOX, session, sessions.SECRET_BLOCK_PURPOSE)
    index = position % len(sealed)
    flipped = sealed[:index] + chr(ord(sealed[index]) ^ mask) + sealed[index + 1 :]
    with pytest.raises(NotAuthorizedException, match=r"^Invalid session for the user, session "):
        sessions.unseal(BOX, flipped, sessions.SECRET_BLOCK_PURPOSE, client_id="client", now=NOW)


def test_valid_session_unseals_for_its_client_until_it_expires():
    session = make()
    sealed = sessions.seal(BOX, session, sessions.SESSION_PURPOSE)
    opened = sessions.unseal(
        BOX, sealed, sessions.SESSION_PURPOSE, client_id="client", now=NOW + timedelta(minutes=2)
    )
    assert opened == session
    assert base64.b64decode(sealed, validate=True)


@pytest.mark.parametrize(
    ("purpose", "client_id", "now", "box"),
    [
        pytest.param(sessions.SESSION_PURPOSE, "client", NOW + timedelta(minutes=3), BOX,
                     id="expired"),
        pytest.param(sessions.SESSION_PURPOSE, "other", NOW, BOX, id="foreign-client"),
        pytest.param(sessions.SECRET_BLOCK_PURPOSE, "client", NOW, BOX, id="other-purpose"),
        pytest.param(sessions.SESSION_PURPOSE, "client", NOW,
                     SecretBox(secrets.token_bytes(32)), id="other-master-key"),
    ],
)  # fmt: skip
def test_invalid_sessions_are_refused(purpose, client_id, now, box):
    sealed = sessions.seal(BOX, make(), sessions.SESSION_PURPOSE)
    with pytest.raises(NotAuthorizedException) as caught:
        sessions.unseal(box, sealed, purpose, client_id=client_id, now=now)
    assert caught.value.message == "Invalid session for the user, session is expired."


@pytest.mark.parametrize("garbage", ["", "not base64!", "é", "AAAA", "QQ==" * 50])
def test_garbage_is_refused(garbage):
    with pytest.raises(NotAuthorizedException):
        sessions.unseal(BOX, garbage, sessions.SESSION_PURPOSE, client_id="client", now=NOW)


def test_each_session_is_spent_once(tmp_path: Path) -> None:
    async def main() -> None:
        store = Store(Settings(data_dir=tmp_path).store_url())
        await store.migrate()
        session = make()
        try:
            async with store.begin() as conn:
                await sessions.spend(conn, session, now=NOW)
            with pytest.raises(NotAuthorizedException, match="session is expired"):
                async with store.begin() as conn:
                    await sessions.spend(conn, session, now=NOW)
            async with store.begin() as conn:
                await sessions.spend(conn, make(), now=NOW)  # another session is unaffected
        finally:
            await store.close()

    asyncio.run(main())
