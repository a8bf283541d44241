"""Developer-authenticated identities: GetOpenIdTokenForDeveloperIdentity,
LookupDeveloperIdentity, MergeDeveloperIdentities, UnlinkDeveloperIdentity.

Developer guide, "Developer-authenticated identities", and the API reference of each
operation. The pool's DeveloperProviderName is the "domain" of the developer's users; a
developer login is (DeveloperProviderName, DeveloperUserIdentifier), stored with the other
logins, so DescribeIdentity lists the developer provider. One identity may hold several
developer user identifiers (LookupDeveloperIdentity lists them); one identifier names at most
one identity of the pool. The backend's token is an OpenID token like GetOpenIdToken's, 15
minutes unless TokenDuration says otherwise (at most 24 hours), that the app presents to
GetCredentialsForIdentity as `cognito-identity.amazonaws.com`.

Merging moves every login of the source user's identity to the destination user's identity,
which survives; the source identity is deleted (Cognito disables it: Cognate keeps no
disabled identities).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.identity_pool import IdentityPool
from cognate.domain.pagination import decode_token, encode_token
from cognate.errors import (
    DeveloperUserAlreadyRegisteredException,
    InvalidParameterException,
    NotAuthorizedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from cognate.identity import shapes
from cognate.identity.federation import new_identity_id
from cognate.identity.logins import verify_logins
from cognate.identity.openid_tokens import open_id_token
from cognate.identity.registry import identity
from cognate.identity.resources import require_identity, require_pool
from cognate.store import identities as identity_store
from cognate.store.identities import Identity

DEVELOPER_TOKEN_VALIDITY = timedelta(minutes=15)
"""GetOpenIdTokenForDeveloperIdentity's token lifetime without TokenDuration."""
MAX_LINKED_LOGINS = 20
"""MergeDeveloperIdentities: the two identities together may hold at most this many logins."""
_LISTING = "developer-user-identifiers"
_DEFAULT_PAGE = 60


def _developer_provider(pool: IdentityPool, name: str | None) -> str:
    """The pool's DeveloperProviderName if `name` is it (None: whatever it is)."""
    developer = pool.config.get("DeveloperProviderName")
    if not developer or (name is not None and name != developer):
        raise NotAuthorizedException(
            "This identity pool does not support the specified developer provider."
        )
    return str(developer)


async def _require_pool_identity(
    conn: AsyncConnection, pool: IdentityPool, identity_id: str
) -> Identity:
    """The identity, which must belong to `pool`."""
    found = await require_identity(conn, identity_id)
    if found.pool_id != pool.id:
        raise ResourceNotFoundException(f"Identity '{identity_id}' not found.")
    return found


async def _require_developer_user(
    conn: AsyncConnection, pool: IdentityPool, developer: str, user: str
) -> str:
    """The identity the developer user is linked to, else ResourceNotFoundException."""
    owner = await identity_store.find_login(conn, pool.id, developer, user)
    if owner is None:
        raise ResourceNotFoundException(f"Developer user identifier '{user}' not found.")
    return owner


@identity.operation("GetOpenIdTokenForDeveloperIdentity")
async def get_open_id_token_for_developer_identity(
    ctx: Context, req: shapes.GetOpenIdTokenForDeveloperIdentityInput
) -> shapes.GetOpenIdTokenForDeveloperIdentityResponse:
    """Register (or find) the developer user's identity, link the other logins presented, and
    answer an OpenID token for it."""
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
    developer = _developer_provider(pool, None)
    logins = dict(req["Logins"])
    user = logins.pop(developer, None)
    if user is None:
        raise NotAuthorizedException(
            "This identity pool does not support the specified developer provider."
        )
    others = await verify_logins(ctx, pool, logins) if logins else []
    if any(login.is_identity_token for login in others):
        raise NotAuthorizedException("Invalid login token. Can't pass in a Cognito token.")
    keys = [(developer, user), *(login.key for login in others)]
    identity_id = await _register(ctx, pool, keys, req.get("IdentityId"))
    validity = timedelta(seconds=req.get("TokenDuration") or 0) or DEVELOPER_TOKEN_VALIDITY
    token = await open_id_token(
        ctx,
        identity_id=identity_id,
        pool_id=pool.id,
        logins=keys,
        validity=validity,
        principal_tags=req.get("PrincipalTags"),
    )
    return {"IdentityId": identity_id, "Token": token}


async def _register(
    ctx: Context, pool: IdentityPool, keys: Sequence[tuple[str, str]], identity_id: str | None
) -> str:
    """The identity of `keys` (the developer login first), linking those not yet linked.

    With IdentityId, the logins are linked to that identity, and a developer user already
    registered to another is refused. Without it, the identity some login already names is
    used, else a new one. Logins naming two different identities are a conflict. A concurrent
    call linking the same login first wins: the identity created here is dropped for theirs.
    """
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        owners = [await identity_store.find_login(conn, pool.id, *key) for key in keys]
        if identity_id is not None:
            await _require_pool_identity(conn, pool, identity_id)
            if owners[0] not in (None, identity_id):
                raise DeveloperUserAlreadyRegisteredException(
                    "The provided developer user identifier is already registered with Cognito "
                    "under a different identity ID."
                )
        known = {owner for owner in owners if owner is not None} | (
            {identity_id} if identity_id else set()
        )
        if len(known) > 1:
            raise ResourceConflictException(
                "The logins provided are linked to different identities."
            )
        created = not known
        target = known.pop() if known else new_identity_id(ctx)
        if created:
            await identity_store.insert_identity(conn, target, pool.id, now=now)
        for key, owner in zip(keys, owners, strict=True):
            if owner is not None:
                continue
            provider, subject = key
            linked = await identity_store.link_login(
                conn,
                pool_id=pool.id,
                identity_id=target,
                provider=provider,
                subject=subject,
                now=now,
            )
            if not linked:
                other = await identity_store.find_login(conn, pool.id, *key)
                if not created or other is None:
                    raise ResourceConflictException(
                        "The logins provided are linked to different identities."
                    )
                await identity_store.delete_identity(conn, target)
                target, created = other, False
    return target


@identity.operation("LookupDeveloperIdentity")
async def lookup_developer_identity(
    ctx: Context, req: shapes.LookupDeveloperIdentityInput
) -> shapes.LookupDeveloperIdentityResponse:
    """The identity of a developer user, or the developer users of an identity (paginated);
    both given, they must belong together (ResourceConflictException)."""
    identity_id, user = req.get("IdentityId"), req.get("DeveloperUserIdentifier")
    if identity_id is None and user is None:
        raise InvalidParameterException(
            "Either IdentityId or DeveloperUserIdentifier must be specified."
        )
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
        developer = pool.config.get("DeveloperProviderName")
        if user is not None:
            owner = await _require_developer_user(conn, pool, str(developer or ""), user)
            if identity_id is not None and identity_id != owner:
                raise ResourceConflictException(
                    f"Developer user identifier '{user}' is not linked to identity '{identity_id}'."
                )
            return {"IdentityId": owner, "DeveloperUserIdentifierList": [user]}
        found = await _require_pool_identity(conn, pool, cast(str, identity_id))
        return await _identifiers_page(conn, found, developer, req)


async def _identifiers_page(
    conn: AsyncConnection,
    found: Identity,
    developer: str | None,
    req: Mapping[str, Any],
) -> shapes.LookupDeveloperIdentityResponse:
    limit = int(req.get("MaxResults") or _DEFAULT_PAGE)
    token = req.get("NextToken")
    after = decode_token(token, _LISTING, found.id) if token else None
    if after is not None and not isinstance(after, str):
        raise InvalidParameterException("Invalid pagination token.")
    users = (
        await identity_store.subjects_of(conn, found.id, developer, after=after, limit=limit + 1)
        if developer
        else []
    )
    page = users[:limit]
    result: dict[str, Any] = {"IdentityId": found.id, "DeveloperUserIdentifierList": page}
    if len(users) > limit:
        result["NextToken"] = encode_token(_LISTING, found.id, page[-1])
    return cast(shapes.LookupDeveloperIdentityResponse, result)


def _check_mergeable(source: Identity, destination: Identity, developer: str) -> None:
    """Cognito's rules: no public provider linked to both as different users, and at most
    MAX_LINKED_LOGINS logins together."""
    theirs = {provider: subject for provider, subject in destination.logins}
    for provider, subject in source.logins:
        if provider != developer and theirs.get(provider, subject) != subject:
            raise ResourceConflictException(
                f"The identities to merge are linked to different users of {provider}."
            )
    if len(set(source.logins) | set(destination.logins)) > MAX_LINKED_LOGINS:
        raise InvalidParameterException(
            f"The identities to merge would have more than {MAX_LINKED_LOGINS} linked logins."
        )


@identity.operation("MergeDeveloperIdentities")
async def merge_developer_identities(
    ctx: Context, req: shapes.MergeDeveloperIdentitiesInput
) -> shapes.MergeDeveloperIdentitiesResponse:
    """Link the source user's identity's logins to the destination user's identity, which
    survives; the source identity is deleted."""
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
        developer = _developer_provider(pool, req["DeveloperProviderName"])
        source_id = await _require_developer_user(
            conn, pool, developer, req["SourceUserIdentifier"]
        )
        destination_id = await _require_developer_user(
            conn, pool, developer, req["DestinationUserIdentifier"]
        )
        if source_id != destination_id:
            source = await require_identity(conn, source_id)
            destination = await require_identity(conn, destination_id)
            _check_mergeable(source, destination, developer)
            await identity_store.move_logins(conn, source_id, destination_id, now=ctx.clock())
            await identity_store.delete_identity(conn, source_id)
    return {"IdentityId": destination_id}


@identity.operation("UnlinkDeveloperIdentity")
async def unlink_developer_identity(ctx: Context, req: shapes.UnlinkDeveloperIdentityInput) -> None:
    """Remove one developer user from the identity; they get a new identity when next seen."""
    user = req["DeveloperUserIdentifier"]
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["IdentityPoolId"])
        developer = _developer_provider(pool, req["DeveloperProviderName"])
        found = await _require_pool_identity(conn, pool, req["IdentityId"])
        owner = await _require_developer_user(conn, pool, developer, user)
        if owner != found.id:
            raise ResourceConflictException(
                f"Developer user identifier '{user}' is not linked to identity '{found.id}'."
            )
        await identity_store.unlink_login(conn, found.id, developer, user, now=ctx.clock())
