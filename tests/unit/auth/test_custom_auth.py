"""The sealed CUSTOM_AUTH state: round trip, binding, expiry, tampering, private parameters."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cognate.auth import custom_auth, sessions
from cognate.auth.custom_auth import ChallengeResult
from cognate.errors import NotAuthorizedException
from cognate.secretbox import SecretBox

BOX = SecretBox(secrets.token_bytes(32))
NOW = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def _state() -> custom_auth.CustomState:
    state = custom_auth.new_state(
        pool_id="us-east-1_Pool", client_id="client", username="alice", is_user_found=True,
        challenge="CUSTOM_CHALLENGE", now=NOW, validity=timedelta(minutes=3),
        history=(ChallengeResult(challenge_name="SRP_A", challenge_result=True),),
        srp_a=0xABC,
    )  # fmt: skip
    return custom_auth.with_challenge(state, private={"answer": "123456"}, metadata="CODE-1")


def _unseal(sealed: str, **overrides: Any) -> custom_auth.CustomState:
    arguments: dict[str, Any] = {
        "pool_id": "us-east-1_Pool",
        "client_id": "client",
        "challenge": "CUSTOM_CHALLENGE",
        "now": NOW,
    }
    arguments.update(overrides)
    return custom_auth.unseal(BOX, sealed, **arguments)


def test_round_trip_keeps_history_and_private_parameters() -> None:
    state = _state()
    sealed = custom_auth.seal(BOX, state)
    assert _unseal(sealed) == state
    assert b"123456" not in base64.b64decode(sealed)


@pytest.mark.parametrize(
    "overrides",
    [
        {"pool_id": "us-east-1_Other"},
        {"client_id": "other"},
        {"challenge": "PASSWORD_VERIFIER"},
        {"now": NOW + timedelta(minutes=3)},
    ],
)
def test_refused_outside_its_pool_client_challenge_and_lifetime(
    overrides: dict[str, object],
) -> None:
    sealed = custom_auth.seal(BOX, _state())
    with pytest.raises(NotAuthorizedException) as caught:
        _unseal(sealed, **overrides)
    assert caught.value.message == sessions.INVALID_SESSION


def test_altered_foreign_or_ordinary_sessions_are_refused() -> None:
    sealed = custom_auth.seal(BOX, _state())
    raw = bytearray(base64.b64decode(sealed))
    raw[-1] ^= 1
    ordinary = sessions.seal(
        BOX,
        sessions.new_session(pool_id="us-east-1_Pool", client_id="client", username="alice",
                             challenge="CUSTOM_CHALLENGE", now=NOW, validity=timedelta(minutes=3)),
        sessions.SESSION_PURPOSE,
    )  # fmt: skip
    foreign = custom_auth.seal(SecretBox(secrets.token_bytes(32)), _state())
    for candidate in (base64.b64encode(bytes(raw)).decode(), ordinary, foreign, "not base64!"):
        with pytest.raises(NotAuthorizedException):
            _unseal(candidate)


def test_history_entries_as_the_events_spell_them() -> None:
    entry = ChallengeResult(
        challenge_name="CUSTOM_CHALLENGE", challenge_result=False, challenge_metadata="CODE-1"
    )
    assert entry.as_event() == {
        "challengeName": "CUSTOM_CHALLENGE",
        "challengeResult": False,
        "challengeMetadata": "CODE-1",
    }
