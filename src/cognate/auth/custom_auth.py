"""CUSTOM_AUTH's state between calls: the challenge history DefineAuthChallenge reads, and the
private parameters VerifyAuthChallengeResponse needs, sealed into the Session.

Developer guide, "Custom authentication challenge Lambda triggers": every answer is verified,
appended to the session (challengeName, challengeResult, challengeMetadata), and Define is
asked again. Cognito keeps that history server-side; Cognate keeps no sign-in state in memory
(DESIGN §0), so it travels sealed like any Session: AES-GCM under the master key, with its own
purpose (a CustomState is never accepted as an ordinary Session or SECRET_BLOCK, nor the
reverse), bound to its client, expiring with AuthSessionValidity, single-use (`spend`).
privateChallengeParameters (an OTP, typically) are inside it and never shown to the client.

When Define asks for PASSWORD_VERIFIER (a flow started with SRP_A), the SECRET_BLOCK is an
ordinary auth/sessions.py session marked `CUSTOM_MARK` in its `completed` steps, so that the
standard PASSWORD_VERIFIER answer cannot skip the rest of the custom flow, and the CustomState
names that SECRET_BLOCK's id.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.auth.sessions import INVALID_SESSION
from cognate.errors import NotAuthorizedException
from cognate.secretbox import SecretBox
from cognate.store import sign_in as sign_in_store

CUSTOM_STATE_PURPOSE: Final = "custom-auth-session"
"""SecretBox purpose of a CUSTOM_AUTH Session."""

CUSTOM_MARK: Final = "CUSTOM_AUTH"
"""Marks a PASSWORD_VERIFIER SECRET_BLOCK issued inside a custom flow."""

SRP_A: Final = "SRP_A"
"""The history entry of a custom flow that began with the client's SRP_A."""

_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeResult:
    """One entry of the event's `session` list."""

    challenge_name: str
    challenge_result: bool
    challenge_metadata: str | None = None

    def as_event(self) -> dict[str, Any]:
        """The entry as the trigger events spell it."""
        return {
            "challengeName": self.challenge_name,
            "challengeResult": self.challenge_result,
            "challengeMetadata": self.challenge_metadata,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomState:
    """A custom sign-in waiting for the answer to `challenge`.

    `username` is the internal username, or the name given when the user is unknown
    (`is_user_found` False, PreventUserExistenceErrors ENABLED). `srp_a` is the client's A
    when the flow began with SRP_A; `srp_session_id` the id of the SECRET_BLOCK a pending
    PASSWORD_VERIFIER was issued with.
    """

    id: str
    pool_id: str
    client_id: str
    username: str
    is_user_found: bool
    challenge: str
    expires_at: datetime
    history: tuple[ChallengeResult, ...] = ()
    private: Mapping[str, str] = field(default_factory=dict)
    metadata: str | None = None
    srp_a: int | None = None
    srp_session_id: str | None = None


def new_state(
    *, pool_id: str, client_id: str, username: str, is_user_found: bool, challenge: str,
    now: datetime, validity: timedelta, history: tuple[ChallengeResult, ...],
    srp_a: int | None = None, srp_session_id: str | None = None,
) -> CustomState:  # fmt: skip
    """A fresh state with a random id, valid from `now` for `validity`."""
    return CustomState(
        id=secrets.token_hex(16), pool_id=pool_id, client_id=client_id, username=username,
        is_user_found=is_user_found, challenge=challenge, expires_at=now + validity,
        history=history, srp_a=srp_a, srp_session_id=srp_session_id,
    )  # fmt: skip


def with_challenge(
    state: CustomState, *, private: Mapping[str, str], metadata: str | None
) -> CustomState:
    """`state` carrying what CreateAuthChallenge returned for its challenge."""
    return replace(state, private=dict(private), metadata=metadata)


def seal(box: SecretBox, state: CustomState) -> str:
    """The Session string of `state` (standard base64)."""
    fields = {
        "v": _VERSION, "id": state.id, "p": state.pool_id, "c": state.client_id,
        "u": state.username, "f": state.is_user_found, "ch": state.challenge,
        "exp": state.expires_at.isoformat(),
        "h": [entry.as_event() for entry in state.history],
        "priv": dict(state.private), "meta": state.metadata,
        "a": None if state.srp_a is None else format(state.srp_a, "x"),
        "srp": state.srp_session_id,
    }  # fmt: skip
    plaintext = json.dumps(fields, separators=(",", ":")).encode()
    return base64.b64encode(box.encrypt(plaintext, CUSTOM_STATE_PURPOSE)).decode("ascii")


def unseal(
    box: SecretBox, sealed: str, *, pool_id: str, client_id: str, challenge: str, now: datetime
) -> CustomState:
    """The state sealed in `sealed` for this pool, client and challenge, still valid at `now`;
    NotAuthorizedException (INVALID_SESSION) otherwise. Whether it was used is `spend`'s."""
    state = _open(box, sealed)
    if (
        state is None
        or state.pool_id != pool_id
        or state.client_id != client_id
        or state.challenge != challenge
        or now >= state.expires_at
    ):
        raise NotAuthorizedException(INVALID_SESSION)
    return state


async def spend(conn: AsyncConnection, state: CustomState, *, now: datetime) -> None:
    """Use `state` up (in the answer's writing transaction): INVALID_SESSION if it already was."""
    is_fresh = await sign_in_store.spend_session(
        conn, session_id=state.id, expires_at=state.expires_at, now=now
    )
    if not is_fresh:
        raise NotAuthorizedException(INVALID_SESSION)


def _open(box: SecretBox, sealed: str) -> CustomState | None:
    try:
        raw = base64.b64decode(sealed.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return None
    # Only the canonical spelling: the unused bits of a last base64 digit are not authenticated.
    if base64.b64encode(raw).decode("ascii") != sealed:
        return None
    try:
        fields = json.loads(box.decrypt(raw, CUSTOM_STATE_PURPOSE))
    except ValueError:
        return None
    if fields.get("v") != _VERSION:
        return None
    history = tuple(
        ChallengeResult(
            challenge_name=entry["challengeName"],
            challenge_result=entry["challengeResult"],
            challenge_metadata=entry["challengeMetadata"],
        )
        for entry in fields["h"]
    )
    return CustomState(
        id=fields["id"], pool_id=fields["p"], client_id=fields["c"], username=fields["u"],
        is_user_found=fields["f"], challenge=fields["ch"],
        expires_at=datetime.fromisoformat(fields["exp"]), history=history,
        private=fields["priv"], metadata=fields["meta"],
        srp_a=None if fields["a"] is None else int(fields["a"], 16), srp_session_id=fields["srp"],
    )  # fmt: skip
