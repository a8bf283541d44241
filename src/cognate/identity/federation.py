"""The identity-pool sign-in flow: GetId, GetCredentialsForIdentity, GetOpenIdToken.

Developer guide, "Identity pools (federated identities) authentication flow": GetId finds or
creates the identity of a set of logins (or a new guest identity when the pool allows
unauthenticated access); GetCredentialsForIdentity (enhanced flow) answers AWS credentials for
the role the pool's roles and role mappings choose ("Role-based access control");
GetOpenIdToken (basic flow) answers an OpenID token for the identity. An identity's logins are
(canonical provider, token sub) pairs, so the Cognito-style and the Amplify-style Logins key
of one user pool reach the same identity.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from cognate.context import Context
from cognate.domain.identity_pool import IdentityPool, resolve_role, unauthenticated_role
from cognate.errors import InvalidParameterException, NotAuthorizedException
from cognate.identity import shapes
from cognate.identity.logins import VerifiedLogin, verify_logins
from cognate.identity.openid_tokens import COGNITO_IDENTITY_PROVIDER, open_id_token
from cognate.identity.registry import identity
from cognate.identity.resources import require_identity_and_pool, require_pool
from cognate.identity.temporary_credentials import issue_credentials
from cognate.store import identities as identity_store
from cognate.store.identities import Identity

_NO_GUESTS = "Unauthenticated access is not supported for this identity pool."
_NO_MATCH = (
    "Logins don't match. Please include at least one valid login for this identity or "
    "identity pool."
)


def new_identity_id(ctx: Context) -> str:
    """A fresh IdentityId, `{region}:{uuid}` with lowercase hex as Cognito's."""
    return f"{ctx.region}:{uuid.uuid4()}"


@identity.operation("GetId")
async def get_id(ctx: Context, req: shapes.GetIdInput) -> shapes.GetIdResponse:
    """Same logins, same identity; no logins, a new guest identity if the pool allows it."""
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
    logins = req.get("Logins") or {}
    if not logins:
        if not pool.allows_unauthenticated:
            raise NotAuthorizedException(_NO_GUESTS)
        identity_id = new_identity_id(ctx)
        async with ctx.store.begin() as conn:
            await identity_store.insert_identity(conn, identity_id, pool.id, now=ctx.clock())
        return {"IdentityId": identity_id}
    if COGNITO_IDENTITY_PROVIDER in logins:
        raise NotAuthorizedException("Invalid login token. Can't pass in a Cognito token.")
    verified = await verify_logins(ctx, pool, logins)
    return {"IdentityId": await _identity_of(ctx, pool, verified)}


async def _identity_of(ctx: Context, pool: IdentityPool, verified: Sequence[VerifiedLogin]) -> str:
    """The identity a login is already linked to, else a new one; unlinked logins are linked.

    If a concurrent GetId links the same login first, the unique key refuses ours and the
    identity created here is dropped for theirs, so one login never names two identities.
    """
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        owners = [await identity_store.find_login(conn, pool.id, *login.key) for login in verified]
        identity_id = next((owner for owner in owners if owner is not None), None)
        created = identity_id is None
        if identity_id is None:
            identity_id = new_identity_id(ctx)
            await identity_store.insert_identity(conn, identity_id, pool.id, now=now)
        linked = await identity_store.get_identity(conn, identity_id)
        providers = {provider for provider, _ in linked.logins} if linked else set()
        for login, owner in zip(verified, owners, strict=True):
            if owner is not None or login.provider in providers:
                continue
            if await identity_store.link_login(conn, pool_id=pool.id, identity_id=identity_id,
                                               provider=login.provider, subject=login.subject,
                                               now=now):  # fmt: skip
                providers.add(login.provider)
                created = False
            elif created:
                other = await identity_store.find_login(conn, pool.id, *login.key)
                await identity_store.delete_identity(conn, identity_id)
                identity_id, created = cast(str, other), False
    return identity_id


async def _authenticate(
    ctx: Context, pool: IdentityPool, found: Identity, logins: Mapping[str, str]
) -> list[VerifiedLogin]:
    """The presented logins linked to `found` (linking unlinked ones, which upgrades a guest
    identity) or, for our own OpenID tokens, issued to it; NotAuthorizedException unless at
    least one is."""
    verified = await verify_logins(ctx, pool, logins)
    now = ctx.clock()
    matched = []
    async with ctx.store.begin() as conn:
        providers = {provider for provider, _ in found.logins}
        for login in verified:
            if login.is_identity_token:
                if login.subject == found.id:
                    matched.append(login)
                continue
            owner = await identity_store.find_login(conn, pool.id, *login.key)
            if owner is None and login.provider not in providers:
                await identity_store.link_login(conn, pool_id=pool.id, identity_id=found.id,
                                                provider=login.provider, subject=login.subject,
                                                now=now)  # fmt: skip
                owner = await identity_store.find_login(conn, pool.id, *login.key)
                providers.add(login.provider)
            if owner == found.id:
                matched.append(login)
    if not matched:
        raise NotAuthorizedException(_NO_MATCH)
    return matched


async def _current_logins(ctx: Context, identity_id: str) -> tuple[tuple[str, str], ...]:
    async with ctx.store.read() as conn:
        found = await identity_store.get_identity(conn, identity_id)
    return found.logins if found else ()


def _check_guest(pool: IdentityPool, found: Identity) -> None:
    """A call without logins is allowed only for a guest identity of a pool allowing guests."""
    if not found.is_guest:
        raise NotAuthorizedException(f"Access to Identity '{found.id}' is forbidden.")
    if not pool.allows_unauthenticated:
        raise NotAuthorizedException(_NO_GUESTS)


@identity.operation("GetCredentialsForIdentity")
async def get_credentials_for_identity(
    ctx: Context, req: shapes.GetCredentialsForIdentityInput
) -> shapes.GetCredentialsForIdentityResponse:
    """Credentials for the identity's role: unauthenticated for guests, else as resolved."""
    found, pool = await require_identity_and_pool(ctx, req["IdentityId"])
    logins = req.get("Logins") or {}
    if not logins:
        _check_guest(pool, found)
        role = unauthenticated_role(pool)
    else:
        matched = await _authenticate(ctx, pool, found, logins)
        if not any(login.is_authenticated for login in matched):
            # Only a guest's own OpenID token: still a guest.
            _check_guest(pool, found)
            role = unauthenticated_role(pool)
        else:
            role = resolve_role(
                pool,
                [login.presented() for login in matched if login.is_authenticated],
                custom_role_arn=req.get("CustomRoleArn"),
            )
    credentials = await issue_credentials(ctx, found.id, role)
    return cast(
        shapes.GetCredentialsForIdentityResponse,
        {"IdentityId": found.id, "Credentials": credentials},
    )


@identity.operation("GetOpenIdToken")
async def get_open_id_token(
    ctx: Context, req: shapes.GetOpenIdTokenInput
) -> shapes.GetOpenIdTokenResponse:
    """An OpenID token for the identity (basic flow, only if the pool allows it)."""
    found, pool = await require_identity_and_pool(ctx, req["IdentityId"])
    if not pool.allows_classic_flow:
        raise InvalidParameterException(
            "Basic (classic) flow is not enabled, please use enhanced flow."
        )
    logins = req.get("Logins") or {}
    presented: list[tuple[str, str]] = []
    if not logins:
        _check_guest(pool, found)
    else:
        matched = await _authenticate(ctx, pool, found, logins)
        presented = [login.key for login in matched if not login.is_identity_token]
        if not presented and any(login.is_authenticated for login in matched):
            # Our own token presented back: the identity's logins, as they are now.
            presented = list(await _current_logins(ctx, found.id))
    token = await open_id_token(ctx, identity_id=found.id, pool_id=pool.id, logins=presented)
    result: dict[str, Any] = {"IdentityId": found.id, "Token": token}
    return cast(shapes.GetOpenIdTokenResponse, result)
