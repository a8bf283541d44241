"""Linking external identities to users: AdminLinkProviderForUser and
AdminDisableProviderForUser.

API reference and developer guide, "Linking federated users to an existing user profile"
(wave2-surface.md §1.6). A SourceUser is an OIDC or social identity named by
`Cognito_Subject` = the provider's subject, which has not signed in yet; linking it to the
DestinationUser (`Cognito` + username for a native user, or a provider and subject for a
federated one) makes its future sign-ins land on that user, whose `identities` attribute gains
the entry (`primary` false). At most five identities per user. Disabling a linked identity
removes the link, so its next sign-in creates a new user; disabling the identity a federated
user was created from disables that user. Cognate refuses identities named by another SAML
attribute (SAML sign-in is not served yet) and disabling a native user's password sign-in.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.federated_identity import (
    COGNITO_PROVIDER,
    MAX_LINKED_IDENTITIES,
    SUBJECT_ATTRIBUTE,
    FederatedIdentity,
    federated_username,
    identities_attribute,
)
from cognate.domain.identity_provider import RESERVED_NAMES, ProviderType
from cognate.domain.pool import Pool
from cognate.domain.user import User, username_key
from cognate.errors import (
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
    UserNotFoundException,
)
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.user_lookup import require_user
from cognate.store import federated_identities as identity_store
from cognate.store import identity_providers as provider_store
from cognate.store import users as user_store

_MERGED = (
    "Merging is not currently supported, provide a SourceUser that has not been merged previously."
)


def _subject(identifier: shapes.ProviderUserIdentifierType) -> tuple[str, str]:
    """The provider name and subject of an external identity, checked."""
    name = identifier.get("ProviderName") or ""
    value = identifier.get("ProviderAttributeValue") or ""
    if name in RESERVED_NAMES:
        raise InvalidParameterException("The user must be an external identity.")
    if identifier.get("ProviderAttributeName") != SUBJECT_ATTRIBUTE or not value:
        raise InvalidParameterException(
            f"ProviderAttributeName must be {SUBJECT_ATTRIBUTE}, with the subject as value."
        )
    return name, value


async def _destination(
    conn: AsyncConnection, pool: Pool, identifier: shapes.ProviderUserIdentifierType
) -> User:
    name = identifier.get("ProviderName") or ""
    value = identifier.get("ProviderAttributeValue") or ""
    if name == COGNITO_PROVIDER:
        return await require_user(conn, pool, value)
    user = await identity_store.user_of_identity(conn, pool.id, name, value)
    if user is None:
        raise UserNotFoundException("User does not exist.")
    return user


async def _save_identities(
    ctx: Context, conn: AsyncConnection, user: User, identities: list[FederatedIdentity]
) -> None:
    attributes = {name: v for name, v in user.attributes.items() if name != "identities"}
    value = identities_attribute(identities)
    if value is not None:
        attributes["identities"] = value
    await user_store.update_user(conn, user.id, now=ctx.clock(), attributes=attributes)


@idp.operation("AdminLinkProviderForUser")
async def admin_link_provider_for_user(
    ctx: Context, req: shapes.AdminLinkProviderForUserRequest
) -> shapes.AdminLinkProviderForUserResponse:
    name, subject = _subject(req["SourceUser"])
    if req["DestinationUser"].get("ProviderName") == name:
        raise InvalidParameterException("The source and destination users have one provider.")
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        provider = await provider_store.get_identity_provider(conn, ctx.secrets, pool.id, name)
        if provider is None:
            raise ResourceNotFoundException(f"Identity provider {name} does not exist.")
        user = await _destination(conn, pool, req["DestinationUser"])
        existing = await identity_store.find_identity(conn, pool.id, name, subject)
        if existing is not None and existing.user_id == user.id and not existing.is_primary:
            return {}
        username = federated_username(name, subject, case_sensitive=pool.is_case_sensitive)
        key = username_key(username, case_sensitive=pool.is_case_sensitive)
        if existing is not None or await user_store.get_user(conn, pool.id, key) is not None:
            raise InvalidParameterException(_MERGED)
        identities = await identity_store.identities_of_user(conn, user.id)
        if len(identities) >= MAX_LINKED_IDENTITIES:
            raise LimitExceededException("A user can have at most 5 linked identities.")
        identity = FederatedIdentity(
            pool_id=pool.id, provider_name=name, provider_type=provider.type.value,
            subject=subject, user_id=user.id, is_primary=False, created_at=now,
            issuer=provider.details.get("oidc_issuer") if provider.type is ProviderType.OIDC
            else None,
        )  # fmt: skip
        if not await identity_store.insert_identity(conn, identity):
            raise InvalidParameterException(_MERGED)
        await _save_identities(ctx, conn, user, [*identities, identity])
    return {}


@idp.operation("AdminDisableProviderForUser")
async def admin_disable_provider_for_user(
    ctx: Context, req: shapes.AdminDisableProviderForUserRequest
) -> shapes.AdminDisableProviderForUserResponse:
    if req["User"].get("ProviderName") in RESERVED_NAMES:
        raise InvalidParameterException(
            "Disabling the password sign-in of a native user is not supported."
        )
    name, subject = _subject(req["User"])
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        identity = await identity_store.find_identity(conn, pool.id, name, subject)
        user = await identity_store.user_of_identity(conn, pool.id, name, subject)
        if identity is None or user is None:
            raise UserNotFoundException("User does not exist.")
        await identity_store.delete_identity(conn, pool.id, name, subject)
        remaining = await identity_store.identities_of_user(conn, user.id)
        await _save_identities(ctx, conn, user, remaining)
        if identity.is_primary:
            await user_store.update_user(conn, user.id, now=ctx.clock(), enabled=False)
    return {}
