"""Passkey operations: StartWebAuthnRegistration, CompleteWebAuthnRegistration,
ListWebAuthnCredentials and DeleteWebAuthnCredential, all authorised by the signed-in user's
access token (scope aws.cognito.signin.user.admin).

cognito-surface.md §2a "WebAuthn" and the four API references: Start returns the
CredentialCreationOptions the browser passes to navigator.credentials.create(); Complete takes
the RegistrationResponseJSON it produced. The ceremony and its checks are auth/webauthn.py, the
pool rules domain/passkeys.py; signing in with a passkey is idp/passkey_sign_in.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.auth import webauthn
from cognate.context import Context
from cognate.domain import passkeys as passkey_rules
from cognate.domain.pagination import decode_token, encode_token
from cognate.domain.passkeys import Passkey
from cognate.domain.pool import Pool
from cognate.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
    WebAuthnChallengeNotFoundException,
)
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.store import passkeys as passkey_store
from cognate.store import sign_in as sign_in_store
from cognate.store.clients import pool_domains
from cognate.tokens.access import AccessGrant, authenticate_access_token, require_scope

_LISTING = "webauthn-credentials"


async def relying_party_id(ctx: Context, conn: AsyncConnection, pool: Pool) -> str:
    """The pool's relying party id (domain/passkeys.relying_party_id reads the domains)."""
    domains = await pool_domains(conn, pool.id)
    return passkey_rules.relying_party_id(pool.config, domains, ctx.region)


@idp.operation("StartWebAuthnRegistration")
async def start_web_authn_registration(
    ctx: Context, req: shapes.StartWebAuthnRegistrationRequest
) -> shapes.StartWebAuthnRegistrationResponse:
    """Options for registering one more passkey, with a challenge sealed for this user and the
    client their access token was issued to."""
    grant = await _signed_in(ctx, req["AccessToken"])
    pool, user = grant.pool, grant.user
    passkey_rules.check_enabled(pool.config)
    async with ctx.store.read() as conn:
        rp_id = await relying_party_id(ctx, conn, pool)
        registered = await passkey_store.list_passkeys(conn, user.id)
    passkey_rules.check_room(len(registered))
    challenge = webauthn.new_registration_challenge(
        ctx.secrets, pool_id=pool.id, user_sub=user.sub, client_id=grant.client_id, now=ctx.clock()
    )
    options = webauthn.registration_options(
        challenge=challenge,
        rp_id=rp_id,
        rp_name=pool.name,
        user_sub=user.sub,
        user_name=passkey_rules.user_name(pool.username_attributes, user.username, user.attributes),
        registered=registered,
        verification=passkey_rules.user_verification(pool.config),
    )
    return {"CredentialCreationOptions": options}


@idp.operation("CompleteWebAuthnRegistration")
async def complete_web_authn_registration(
    ctx: Context, req: shapes.CompleteWebAuthnRegistrationRequest
) -> shapes.CompleteWebAuthnRegistrationResponse:
    """Verify the authenticator's answer and store the passkey; its challenge is spent in the
    same transaction, so an answer registers at most once."""
    grant = await _signed_in(ctx, req["AccessToken"])
    pool, user = grant.pool, grant.user
    passkey_rules.check_enabled(pool.config)
    async with ctx.store.read() as conn:
        rp_id = await relying_party_id(ctx, conn, pool)
    now = ctx.clock()
    verified = webauthn.verify_registration(
        ctx.secrets, req["Credential"], pool_id=pool.id, user_sub=user.sub,
        client_id=grant.client_id, rp_id=rp_id,
        verification=passkey_rules.user_verification(pool.config), now=now,
    )  # fmt: skip
    passkey = Passkey(
        credential_id=verified.credential_id,
        pool_id=pool.id,
        user_id=user.id,
        public_key=verified.public_key,
        sign_count=verified.sign_count,
        friendly_name=passkey_rules.friendly_name(verified.attachment),
        relying_party_id=rp_id,
        attachment=verified.attachment,
        transports=verified.transports,
        created_at=now,
    )
    async with ctx.store.begin() as conn:
        challenge = verified.challenge
        is_fresh = await sign_in_store.spend_session(
            conn, session_id=challenge.id, expires_at=challenge.expires_at, now=now
        )
        if not is_fresh:
            raise WebAuthnChallengeNotFoundException(
                "The WebAuthn registration challenge was not found or has expired."
            )
        passkey_rules.check_room(await passkey_store.count_passkeys(conn, user.id))
        await passkey_store.insert_passkey(conn, passkey)
    return {}


@idp.operation("ListWebAuthnCredentials")
async def list_web_authn_credentials(
    ctx: Context, req: shapes.ListWebAuthnCredentialsRequest
) -> shapes.ListWebAuthnCredentialsResponse:
    """The user's passkeys, oldest first, MaxResults (default and at most 20) at a time."""
    grant = await _signed_in(ctx, req["AccessToken"])
    async with ctx.store.read() as conn:
        registered = await passkey_store.list_passkeys(conn, grant.user.id)
    limit = req.get("MaxResults") or passkey_rules.MAX_PASSKEYS
    scope = str(grant.user.id)
    token = req.get("NextToken")
    start = _resume_at(registered, decode_token(token, _LISTING, scope)) if token else 0
    page = registered[start : start + limit]
    answer: dict[str, Any] = {
        "Credentials": [passkey_rules.credential_description(passkey) for passkey in page]
    }
    if start + limit < len(registered):
        answer["NextToken"] = encode_token(_LISTING, scope, _position(page[-1]))
    return answer  # type: ignore[return-value]  # wire-shaped


@idp.operation("DeleteWebAuthnCredential")
async def delete_web_authn_credential(
    ctx: Context, req: shapes.DeleteWebAuthnCredentialRequest
) -> shapes.DeleteWebAuthnCredentialResponse:
    """Delete one of the user's passkeys; it can no longer sign in, even mid-challenge."""
    grant = await _signed_in(ctx, req["AccessToken"])
    async with ctx.store.begin() as conn:
        is_deleted = await passkey_store.delete_passkey(conn, grant.user.id, req["CredentialId"])
    if not is_deleted:
        raise ResourceNotFoundException("WebAuthn credential not found.")
    return {}


async def _signed_in(ctx: Context, access_token: str) -> AccessGrant:
    grant = await authenticate_access_token(ctx, access_token)
    require_scope(grant)
    return grant


def _position(passkey: Passkey) -> list[str]:
    """Where a page ended, as a pagination token records it (the listing's sort key)."""
    return [passkey.created_at.isoformat(), passkey.credential_id]


def _resume_at(registered: list[Passkey], after: Any) -> int:
    """The index of the first passkey listed after position `after` (from `_position`)."""
    if not (isinstance(after, list) and len(after) == 2 and all(isinstance(x, str) for x in after)):
        raise InvalidParameterException("Invalid pagination token.")
    return sum(1 for passkey in registered if _position(passkey) <= after)
