"""Which user an external identity signs in as: the user it is linked to, else the user its
first sign-in creates.

wave2-surface.md §1.5-1.6 and cognito-surface.md §8. An identity that AdminLinkProviderForUser
linked signs in as the destination user: linked by its subject (Cognito_Subject), or by another
attribute (a SAML assertion attribute, an OIDC claim), in which case its first sign-in carrying
the linked value turns that link into one by subject, as Cognito then names it (Cognito_Subject
+ NameID); otherwise the first sign-in runs
PreSignUp_ExternalProvider (whose function may link the identity itself, so the link is looked
up again after it returns) and then creates `{ProviderName}_{subject}`, status
EXTERNAL_PROVIDER, with the mapped attributes, the `identities` attribute and membership of
the group `{userPoolId}_{ProviderName}`. Every later sign-in writes the mapped attributes again.
Two first sign-ins racing for one identity: the loser gets Cognito's "Already found an entry
for username …".
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.federated_identity import (
    FederatedIdentity,
    federated_username,
    identities_attribute,
    provider_group,
    provider_group_description,
)
from cognate.domain.identity_provider import ProviderType
from cognate.domain.pool import Pool
from cognate.domain.user import User, UserStatus, username_key
from cognate.errors import (
    CognitoError,
    GroupExistsException,
    OAuthError,
    UsernameExistsException,
)
from cognate.federation.mapping import check_mapped, missing_required
from cognate.idp import trigger_calls
from cognate.idp.provider_links import save_identities
from cognate.idp.user_attributes import save_attributes
from cognate.store import federated_identities as identity_store
from cognate.store import groups as group_store
from cognate.store import users as user_store
from cognate.store.identity_providers import IdentityProvider

PRE_SIGN_UP_SOURCE = "PreSignUp_ExternalProvider"
_MERGED = "The linked user of this identity no longer exists or is linked twice."


def provider_issuer(provider: IdentityProvider) -> str | None:
    """The `issuer` an identity of `provider` shows: the OIDC issuer; none for social types
    (a SAML identity's is the IdP's entity id, known once its metadata is read)."""
    if provider.type is ProviderType.OIDC:
        return provider.details.get("oidc_issuer")
    return None


async def linked_user(
    ctx: Context,
    pool: Pool,
    provider: IdentityProvider,
    subject: str,
    claims: Mapping[str, Any],
    *,
    issuer: str | None,
) -> User | None:
    """The user the identity `subject` (whose answer carried `claims`) signs in as, or None
    before its first sign-in. An attribute link the claims match is used up here: the
    identity is linked by its subject from now on (one transaction, so two racing sign-ins
    cannot both take it)."""
    async with ctx.store.begin() as conn:
        user = await identity_store.user_of_identity(conn, pool.id, provider.name, subject)
        if user is not None:
            return user
        for link in await identity_store.attribute_links(conn, pool.id, provider.name):
            if not link.matches(claims) or not await identity_store.delete_attribute_link(
                conn, link
            ):
                continue
            user = await identity_store.user_of_link(conn, link)
            identity = FederatedIdentity(
                pool_id=pool.id, provider_name=provider.name, provider_type=provider.type.value,
                subject=subject, user_id=link.user_id, issuer=issuer, is_primary=False,
                created_at=link.created_at,
            )  # fmt: skip
            if user is None or not await identity_store.insert_identity(conn, identity):
                raise OAuthError("invalid_request", _MERGED)
            await save_identities(ctx, conn, user)
            return await identity_store.user_of_link(conn, link)
    return None


async def sign_in_user(
    ctx: Context,
    pool: Pool,
    client: Client,
    provider: IdentityProvider,
    subject: str,
    attributes: Mapping[str, str],
    *,
    claims: Mapping[str, Any],
    issuer: str | None = None,
) -> User:
    """The user signing in with `subject` at `provider` (whose answer carried `claims`),
    created or updated with the mapped `attributes`; OAuthError or the trigger's CognitoError
    when the sign-in is refused. `issuer`: what a new identity shows as its issuer (default:
    `provider_issuer`)."""
    issuer = issuer if issuer is not None else provider_issuer(provider)
    user = await linked_user(ctx, pool, provider, subject, claims, issuer=issuer)
    if user is not None:
        return await _update(ctx, pool, client, user, attributes)
    username = federated_username(provider.name, subject, case_sensitive=pool.is_case_sensitive)
    check_mapped(pool.schema, client, attributes, current=None)
    decision = await trigger_calls.pre_sign_up(
        ctx, pool, source=PRE_SIGN_UP_SOURCE, username=username, client_id=client.id,
        attributes=attributes,
    )  # fmt: skip
    attributes = {**attributes, **decision.verified_flags(attributes)}
    user = await linked_user(ctx, pool, provider, subject, claims, issuer=issuer)
    if user is not None:
        return await _update(ctx, pool, client, user, attributes)
    missing_required(pool.schema, attributes)
    return await _create(ctx, pool, provider, subject, username, attributes, issuer=issuer)


async def _create(
    ctx: Context,
    pool: Pool,
    provider: IdentityProvider,
    subject: str,
    username: str,
    attributes: Mapping[str, str],
    *,
    issuer: str | None,
) -> User:
    now = ctx.clock()
    sub = str(uuid.uuid4())
    identity = FederatedIdentity(
        pool_id=pool.id, provider_name=provider.name, provider_type=provider.type.value,
        subject=subject, user_id=0, issuer=issuer, is_primary=True,
        created_at=now,
    )  # fmt: skip
    stored = {**attributes, "sub": sub, "identities": identities_attribute([identity]) or ""}
    taken = OAuthError("invalid_request", f"Already found an entry for username {username}")
    async with ctx.store.begin() as conn:
        try:
            user = await user_store.insert_user(
                conn, pool_id=pool.id, username=username,
                key=username_key(username, case_sensitive=pool.is_case_sensitive), sub=sub,
                status=UserStatus.EXTERNAL_PROVIDER, attributes=stored, password=None, now=now,
            )  # fmt: skip
        except UsernameExistsException as exc:
            raise taken from exc
        if not await identity_store.insert_identity(
            conn, dataclasses.replace(identity, user_id=user.id)
        ):
            raise taken
        await _join_provider_group(conn, pool, provider, now=now)
        await group_store.add_member(conn, pool.id, provider_group(pool.id, provider.name), user.id)
    return user


async def _join_provider_group(
    conn: AsyncConnection, pool: Pool, provider: IdentityProvider, *, now: datetime
) -> None:
    name = provider_group(pool.id, provider.name)
    if await group_store.get_group(conn, pool.id, name) is not None:
        return
    group = group_store.Group(
        pool_id=pool.id, name=name, description=provider_group_description(provider.name),
        role_arn=None, precedence=None, created_at=now, updated_at=now,
    )  # fmt: skip
    # GroupExistsException: a concurrent first sign-in created it meanwhile, as wanted.
    with contextlib.suppress(GroupExistsException):
        await group_store.insert_group(conn, group)


async def _update(
    ctx: Context, pool: Pool, client: Client, user: User, attributes: Mapping[str, str]
) -> User:
    """Write the mapped attributes again; a native (linked) user keeps its aliases in step."""
    if not user.is_enabled:
        raise OAuthError("invalid_request", "User is disabled.")
    check_mapped(pool.schema, client, attributes, current=user.attributes)
    updated = {**user.attributes, **attributes}
    if updated == dict(user.attributes):
        return user
    async with ctx.store.begin() as conn:
        try:
            if user.status is UserStatus.EXTERNAL_PROVIDER:
                now = ctx.clock()
                await user_store.update_user(conn, user.id, now=now, attributes=updated)
                await user_store.index_attributes(conn, pool.id, user.id, updated)
            else:
                await save_attributes(ctx, conn, pool, user, updated)
        except CognitoError as exc:
            raise OAuthError("invalid_request", exc.message or exc.name) from exc
    return dataclasses.replace(user, attributes=updated)
