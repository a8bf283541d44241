"""Sealed auth Sessions and SRP SECRET_BLOCKs: the sign-in state a client carries between calls.

DESIGN §0: servers keep no sign-in state in memory. What a later RespondToAuthChallenge needs
(pool, client, internal username, the challenge asked, which steps are done, and for SRP the
client's A and the server's secret b) travels with the client, AES-GCM encrypted under the
master key (`SecretBox`) with a purpose string as associated data, so a SECRET_BLOCK is never
accepted as a Session or the reverse. Nothing inside is readable or changeable by the client.

A sealed value is standard base64 (clients base64-decode SECRET_BLOCK to sign it,
cognito-surface.md §9), and only its canonical spelling is accepted: a string whose unused low
bits differ would otherwise decode to the same bytes. It expires AuthSessionValidity after it
was issued, is bound to its client, and is single-use: `spend` inserts its random id into
`spent_sessions`. Every failure answers Cognito's text for a bad Session,
NotAuthorizedException "Invalid session for the user, session is expired."

Sign-in after sign-up (botocore's SignUpResponse.Session, ConfirmSignUp's Session, InitiateAuth's
top-level Session for USER_AUTH) uses the same sealed form under two purposes of its own, so
neither is ever accepted as a challenge Session: SignUp seals SIGN_UP_PURPOSE for ConfirmSignUp,
ConfirmSignUp seals AUTO_SIGN_IN_PURPOSE for InitiateAuth. Both are bound to the pool, the
client and the user (internal username and sub, so a user deleted and signed up again under the
same name does not inherit them).
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.errors import NotAuthorizedException
from cognate.secretbox import SecretBox
from cognate.store import sign_in as sign_in_store

SESSION_PURPOSE: Final = "auth-session"
"""SecretBox purpose of the `Session` string of a challenge."""

SECRET_BLOCK_PURPOSE: Final = "srp-secret-block"  # noqa: S105 (a label, not a secret)
"""SecretBox purpose of the PASSWORD_VERIFIER challenge's SECRET_BLOCK."""

SIGN_UP_PURPOSE: Final = "sign-up-session"
"""SecretBox purpose of SignUp's `Session`, accepted only by ConfirmSignUp."""

AUTO_SIGN_IN_PURPOSE: Final = "auto-sign-in-session"
"""SecretBox purpose of ConfirmSignUp's `Session`, accepted only by InitiateAuth USER_AUTH."""

SIGN_UP_STEP: Final = "SIGN_UP"
"""The `challenge` recorded in a sign-up or auto sign-in session (it answers no challenge)."""

INVALID_SESSION: Final = "Invalid session for the user, session is expired."
"""Cognito's message for a Session that is expired, altered, foreign or already used."""

_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthSession:
    """One pending challenge of one sign-in.

    `username` is the internal username (USER_ID_FOR_SRP); for a PreventUserExistenceErrors
    decoy it is the decoy's id. `completed` lists the steps already passed (challenge names),
    so later steps (MFA, devices) know where the sign-in stands. The SRP values (the
    client's public A, the server's secret b and public B) are set for PASSWORD_VERIFIER only.
    `user_sub` is set for the sign-up and auto sign-in sessions only (`seal_for_user`).
    `setup_email` is the address an EMAIL_OTP challenge of MFA_SETUP sent its code to: the
    address becomes the user's (verified) email once the code proves it.
    """

    id: str
    pool_id: str
    client_id: str
    username: str
    challenge: str
    issued_at: datetime
    expires_at: datetime
    completed: tuple[str, ...] = ()
    srp_a: int | None = None
    srp_small_b: int | None = None
    srp_big_b: int | None = None
    user_sub: str | None = None
    setup_email: str | None = None
    # Threat protection's InProgress event of this sign-in, and its user (idp/sign_in_steps.py).
    auth_event: tuple[str, str] | None = None


def new_session(
    *,
    pool_id: str,
    client_id: str,
    username: str,
    challenge: str,
    now: datetime,
    validity: timedelta,
    completed: Sequence[str] = (),
    srp_a: int | None = None,
    srp_small_b: int | None = None,
    srp_big_b: int | None = None,
    user_sub: str | None = None,
    setup_email: str | None = None,
    auth_event: tuple[str, str] | None = None,
) -> AuthSession:
    """A fresh session with a random id, valid from `now` for `validity`."""
    return AuthSession(
        id=secrets.token_hex(16),
        pool_id=pool_id,
        client_id=client_id,
        username=username,
        challenge=challenge,
        issued_at=now,
        expires_at=now + validity,
        completed=tuple(completed),
        srp_a=srp_a,
        srp_small_b=srp_small_b,
        srp_big_b=srp_big_b,
        user_sub=user_sub,
        setup_email=setup_email,
        auth_event=auth_event,
    )


def seal(box: SecretBox, session: AuthSession, purpose: str) -> str:
    """The opaque string a client carries for `session` (standard base64)."""
    fields: dict[str, Any] = {
        "v": _VERSION,
        "id": session.id,
        "p": session.pool_id,
        "c": session.client_id,
        "u": session.username,
        "ch": session.challenge,
        "iat": session.issued_at.isoformat(),
        "exp": session.expires_at.isoformat(),
        "done": list(session.completed),
        "a": _hex(session.srp_a),
        "b": _hex(session.srp_small_b),
        "B": _hex(session.srp_big_b),
    }
    if session.user_sub is not None:
        fields["s"] = session.user_sub
    if session.setup_email is not None:
        fields["e"] = session.setup_email
    if session.auth_event is not None:
        fields["ev"] = list(session.auth_event)
    plaintext = json.dumps(fields, separators=(",", ":")).encode()
    return base64.b64encode(box.encrypt(plaintext, purpose)).decode("ascii")


def unseal(
    box: SecretBox, sealed: str, purpose: str, *, client_id: str, now: datetime
) -> AuthSession:
    """The session sealed in `sealed` for `client_id`, if it is still valid at `now`.

    Raises NotAuthorizedException (INVALID_SESSION) if the string was altered or is not
    canonical base64, was sealed for another purpose, under another master key or for another
    client, or has expired. Whether it was already used is `spend`'s question.
    """
    session = _open(box, sealed, purpose)
    if session is None or session.client_id != client_id or now >= session.expires_at:
        raise NotAuthorizedException(INVALID_SESSION)
    return session


def seal_for_user(
    box: SecretBox,
    purpose: str,
    *,
    pool_id: str,
    client_id: str,
    username: str,
    user_sub: str,
    now: datetime,
    validity: timedelta,
) -> str:
    """A fresh sign-up (SIGN_UP_PURPOSE) or auto sign-in (AUTO_SIGN_IN_PURPOSE) Session for one
    user, valid from `now` for `validity` (the client's AuthSessionValidity)."""
    session = new_session(
        pool_id=pool_id,
        client_id=client_id,
        username=username,
        challenge=SIGN_UP_STEP,
        now=now,
        validity=validity,
        user_sub=user_sub,
    )
    return seal(box, session, purpose)


def check_user(session: AuthSession, *, pool_id: str, username: str, user_sub: str) -> None:
    """NotAuthorizedException (INVALID_SESSION) unless `session` was sealed by `seal_for_user`
    for this user (internal username and sub) of `pool_id`."""
    is_bound = (
        session.user_sub is not None
        and session.pool_id == pool_id
        and session.username == username
        and session.user_sub == user_sub
    )
    if not is_bound:
        raise NotAuthorizedException(INVALID_SESSION)


async def spend(conn: AsyncConnection, session: AuthSession, *, now: datetime) -> None:
    """Use `session` up: NotAuthorizedException (INVALID_SESSION) if it already was.

    Call inside the writing transaction of the step that consumes it, so a step that fails
    before committing leaves the session usable and two racing requests cannot both pass.
    """
    is_fresh = await sign_in_store.spend_session(
        conn, session_id=session.id, expires_at=session.expires_at, now=now
    )
    if not is_fresh:
        raise NotAuthorizedException(INVALID_SESSION)


def _open(box: SecretBox, sealed: str, purpose: str) -> AuthSession | None:
    try:
        raw = base64.b64decode(sealed.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return None
    # Only the canonical spelling: the unused bits of a last base64 digit are not authenticated.
    if base64.b64encode(raw).decode("ascii") != sealed:
        return None
    try:
        fields = json.loads(box.decrypt(raw, purpose))
        if fields["v"] != _VERSION:
            return None
        return AuthSession(
            id=fields["id"],
            pool_id=fields["p"],
            client_id=fields["c"],
            username=fields["u"],
            challenge=fields["ch"],
            issued_at=datetime.fromisoformat(fields["iat"]),
            expires_at=datetime.fromisoformat(fields["exp"]),
            completed=tuple(fields["done"]),
            srp_a=_int(fields["a"]),
            srp_small_b=_int(fields["b"]),
            srp_big_b=_int(fields["B"]),
            user_sub=fields.get("s"),
            setup_email=fields.get("e"),
            auth_event=tuple(fields["ev"]) if "ev" in fields else None,
        )
    except ValueError:
        # A ciphertext that authenticates was written by `seal`; failing here means it was
        # sealed under another purpose or is too short to carry a tag.
        return None


def _hex(value: int | None) -> str | None:
    return None if value is None else format(value, "x")


def _int(text: str | None) -> int | None:
    return None if text is None else int(text, 16)
