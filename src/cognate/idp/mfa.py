"""MFA settings and software tokens: SetUserPoolMfaConfig, GetUserPoolMfaConfig,
SetUserMFAPreference, AdminSetUserMFAPreference, SetUserSettings, AdminSetUserSettings,
AssociateSoftwareToken and VerifySoftwareToken.

Developer guide, "Adding MFA to a user pool" and "TOTP software token MFA": a user associates
an authenticator (AssociateSoftwareToken returns the shared secret, base32), proves it with a
code (VerifySoftwareToken), then enables it (SetUserMFAPreference). Both token operations take
the signed-in user's AccessToken or, during sign-in, the Session of an MFA_SETUP challenge;
then each returns a new Session, and the one VerifySoftwareToken returns completes MFA_SETUP
through RespondToAuthChallenge.

Seeds are 160-bit CSPRNG secrets (auth/totp.py), stored only encrypted (SecretBox purpose
"totp-seed") in `software_tokens`, a table of their own rather than the wire-shaped `users.mfa`
JSON: the per-user replay guard must be a conditional UPDATE of one column, and a ciphertext
has no business in JSON that GetUser echoes. A new seed stays pending until verified, so a
second AssociateSoftwareToken never disables the authenticator in use.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from cognate.auth import sessions, totp
from cognate.auth.flow import Challenge
from cognate.context import Context
from cognate.domain import mfa
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import (
    EnableSoftwareTokenMFAException,
    InvalidParameterException,
    NotAuthorizedException,
    SoftwareTokenMFANotFoundException,
)
from cognate.idp import shapes
from cognate.idp.mfa_challenges import TOTP_SEED_PURPOSE
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.user_lookup import find_user, require_user
from cognate.store import mfa as mfa_store
from cognate.store import pools as pool_store
from cognate.store import users as user_store
from cognate.tokens.access import authenticate_access_token, require_scope

_CODE_MISMATCH = "Code mismatch and fail enable Software Token MFA"
_SETTINGS = (
    ("SMSMfaSettings", mfa.Factor.SMS_MFA),
    ("SoftwareTokenMfaSettings", mfa.Factor.SOFTWARE_TOKEN_MFA),
    ("EmailMfaSettings", mfa.Factor.EMAIL_OTP),
)


@idp.operation("SetUserPoolMfaConfig")
async def set_user_pool_mfa_config(
    ctx: Context, req: shapes.SetUserPoolMfaConfigRequest
) -> shapes.SetUserPoolMfaConfigResponse:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        config = mfa.updated_mfa_config(pool.config, req)
        await pool_store.update_pool(conn, pool.id, name=pool.name, config=config, now=ctx.clock())
    return mfa.mfa_configuration(config)  # type: ignore[return-value]  # wire-shaped JSON


@idp.operation("GetUserPoolMfaConfig")
async def get_user_pool_mfa_config(
    ctx: Context, req: shapes.GetUserPoolMfaConfigRequest
) -> shapes.GetUserPoolMfaConfigResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
    return mfa.mfa_configuration(pool.config)  # type: ignore[return-value]  # wire-shaped JSON


@idp.operation("SetUserMFAPreference")
async def set_user_mfa_preference(
    ctx: Context, req: shapes.SetUserMFAPreferenceRequest
) -> shapes.SetUserMFAPreferenceResponse:
    grant = await authenticate_access_token(ctx, req["AccessToken"])
    require_scope(grant)
    await _set_preference(ctx, grant.pool, grant.user.username, req)
    return {}


@idp.operation("AdminSetUserMFAPreference")
async def admin_set_user_mfa_preference(
    ctx: Context, req: shapes.AdminSetUserMFAPreferenceRequest
) -> shapes.AdminSetUserMFAPreferenceResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
    await _set_preference(ctx, pool, req["Username"], req)
    return {}


async def _set_preference(ctx: Context, pool: Pool, username: str, req: Mapping[str, Any]) -> None:
    """Apply SetUserMFAPreference's settings after checking each factor being enabled."""
    if (req.get("WebAuthnMfaSettings") or {}).get("Enabled"):
        raise InvalidParameterException("WebAuthn MFA is not supported by Cognate yet.")
    settings = {factor: req[member] for member, factor in _SETTINGS if member in req}
    pool_rules = mfa.pool_mfa(pool.config)
    async with ctx.store.begin() as conn:
        user = await require_user(conn, pool, username)
        token = await mfa_store.get_token(conn, user.id)
        for factor, setting in settings.items():
            if setting.get("Enabled"):
                mfa.check_can_enable(
                    factor, pool=pool_rules, attributes=user.attributes, token=_state(token)
                )
        updated = mfa.updated_preferences(user.mfa, settings)
        await user_store.update_user(conn, user.id, now=ctx.clock(), mfa=updated)


def _state(token: mfa_store.SoftwareToken | None) -> mfa.TokenState:
    if token is not None and token.secret is not None:
        return mfa.TokenState.VERIFIED
    if token is not None and token.pending_secret is not None:
        return mfa.TokenState.PENDING
    return mfa.TokenState.NONE


@idp.operation("SetUserSettings")
async def set_user_settings(
    ctx: Context, req: shapes.SetUserSettingsRequest
) -> shapes.SetUserSettingsResponse:
    grant = await authenticate_access_token(ctx, req["AccessToken"])
    require_scope(grant)
    await _set_legacy(ctx, grant.pool, grant.user.username, req["MFAOptions"])
    return {}


@idp.operation("AdminSetUserSettings")
async def admin_set_user_settings(
    ctx: Context, req: shapes.AdminSetUserSettingsRequest
) -> shapes.AdminSetUserSettingsResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
    await _set_legacy(ctx, pool, req["Username"], req["MFAOptions"])
    return {}


async def _set_legacy(
    ctx: Context, pool: Pool, username: str, options: list[shapes.MFAOptionType]
) -> None:
    async with ctx.store.begin() as conn:
        user = await require_user(conn, pool, username)
        if options and not user.attributes.get("phone_number"):
            raise InvalidParameterException(
                "User does not have delivery config set to turn on SMS_MFA"
            )
        updated = mfa.legacy_settings(user.mfa, options)
        await user_store.update_user(conn, user.id, now=ctx.clock(), mfa=updated)


async def _token_owner(
    ctx: Context, req: Mapping[str, Any]
) -> tuple[Pool, User, sessions.AuthSession | None]:
    """Whose token an AssociateSoftwareToken / VerifySoftwareToken call is about: the access
    token's user, or the user of an MFA_SETUP Session (then that session is returned too)."""
    if req.get("AccessToken"):
        grant = await authenticate_access_token(ctx, req["AccessToken"])
        require_scope(grant)
        return grant.pool, grant.user, None
    sealed = req.get("Session")
    if not sealed:
        raise InvalidParameterException("Either AccessToken or Session must be provided.")
    session = sessions.unseal(
        ctx.secrets,
        sealed,
        sessions.SESSION_PURPOSE,
        client_id=_sealed_client_id(ctx, sealed),
        now=ctx.clock(),
    )
    if session.challenge != Challenge.MFA_SETUP:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, session.pool_id)
        user = await find_user(conn, pool, session.username)
    if user is None:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    return pool, user, session


def _sealed_client_id(ctx: Context, sealed: str) -> str:
    # These operations name no client, but a Session is bound to one: read its client id so
    # that sessions.unseal can run every check (tampering, purpose, expiry) on the whole value.
    try:
        plaintext = ctx.secrets.decrypt(
            base64.b64decode(sealed, validate=True), sessions.SESSION_PURPOSE
        )
        return str(json.loads(plaintext)["c"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise NotAuthorizedException(sessions.INVALID_SESSION) from None


def _next_session(ctx: Context, session: sessions.AuthSession, completed: tuple[str, ...]) -> str:
    """A fresh MFA_SETUP Session continuing `session`, expiring when it would have."""
    now = ctx.clock()
    successor = sessions.new_session(
        pool_id=session.pool_id,
        client_id=session.client_id,
        username=session.username,
        challenge=Challenge.MFA_SETUP,
        now=now,
        validity=max(session.expires_at - now, timedelta(0)),
        completed=completed,
    )
    return sessions.seal(ctx.secrets, successor, sessions.SESSION_PURPOSE)


@idp.operation("AssociateSoftwareToken")
async def associate_software_token(
    ctx: Context, req: shapes.AssociateSoftwareTokenRequest
) -> shapes.AssociateSoftwareTokenResponse:
    _pool, user, session = await _token_owner(ctx, req)
    secret = totp.new_secret()
    sealed_secret = ctx.secrets.encrypt(secret.encode("ascii"), TOTP_SEED_PURPOSE)
    async with ctx.store.begin() as conn:
        if session is not None:
            await sessions.spend(conn, session, now=ctx.clock())
        await mfa_store.set_pending(conn, user.id, sealed_secret, now=ctx.clock())
    answer: shapes.AssociateSoftwareTokenResponse = {"SecretCode": secret}
    if session is not None:
        answer["Session"] = _next_session(ctx, session, session.completed)
    return answer


@idp.operation("VerifySoftwareToken")
async def verify_software_token(
    ctx: Context, req: shapes.VerifySoftwareTokenRequest
) -> shapes.VerifySoftwareTokenResponse:
    pool, user, session = await _token_owner(ctx, req)
    async with ctx.store.read() as conn:
        token = await mfa_store.get_token(conn, user.id)
    if token is None or token.pending_secret is None:
        raise SoftwareTokenMFANotFoundException("Software Token MFA has not been associated.")
    seed = ctx.secrets.decrypt(token.pending_secret, TOTP_SEED_PURPOSE).decode("ascii")
    if totp.matching_step(seed, req["UserCode"], ctx.clock()) is None:
        raise EnableSoftwareTokenMFAException(_CODE_MISMATCH)
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        if session is not None:
            await sessions.spend(conn, session, now=now)
        is_active = await mfa_store.activate(
            conn,
            user.id,
            pending_secret=token.pending_secret,
            friendly_name=req.get("FriendlyDeviceName"),
            now=now,
        )
        current = await find_user(conn, pool, user.username)
        if not is_active or current is None:
            raise EnableSoftwareTokenMFAException(_CODE_MISMATCH)
        # Setting up during sign-in, or in a pool that requires MFA and had none for this
        # user, the token becomes the user's factor at once (it is what MFA_SETUP asks for).
        is_required = mfa.pool_mfa(pool.config).mode == "ON"
        if session is not None or (is_required and not mfa.enabled_factors(current.mfa)):
            updated = mfa.with_software_token(current.mfa)
            await user_store.update_user(conn, user.id, now=now, mfa=updated)
    answer: shapes.VerifySoftwareTokenResponse = {"Status": "SUCCESS"}
    if session is not None:
        answer["Session"] = _next_session(ctx, session, (*session.completed, mfa.SETUP_DONE))
    return answer
