"""Linking external identities to users: AdminLinkProviderForUser and
AdminDisableProviderForUser.

API reference and developer guide, "Linking federated users to an existing user profile"
(wave2-surface.md §1.6). A SourceUser is an OIDC or social identity named by
`Cognito_Subject` = the provider's subject, which has not signed in yet; linking it to the
DestinationUser (`Cognito` + username for a native user, or a provider and subject for a
federated one) makes its future sign-ins land on that user, whose `identities` attribute gains
the entry (`primary` false). At most five identities per user. Disabling a linked identity
removes the link, so its next sign-in creates a new user; disabling the identity a federated
user was created from disables that user. A SAML SourceUser may also be named by any
assertion attribute (its Name, as the assertion carries it): that link waits in
federated_attribute_links until a sign-in carrying the value uses it (federation/linking.py),
and AdminDisableProviderForUser with the same name and value removes it before then. Cognate
refuses disabling a native user's password sign-in.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.federated_identity import (
    COGNITO_PROVIDER,
    MAX_LINKED_IDENTITIES,
    SUBJECT_ATTRIBUTE,
    AttributeLink,
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
from cognate.store.identity_providers import IdentityProvider

_MAX_LINK = 255
_MERGED = (
    "Merging is not currently supported, provide a SourceUser that has not been merged previously."
)


def _subject(identifier: shapes.ProviderUserIdentifierType) -> tuple[str, str, str]:
    """The provider name, attribute name and value of an external identity, checked."""
    name = identifier.get("ProviderName") or ""
    value = identifier.get("ProviderAttributeValue") or ""
    attribute = identifier.get("ProviderAttributeName") or ""
    if name in RESERVED_NAMES:
        raise InvalidParameterException("The user must be an external identity.")
    if not attribute or not value or len(attribute) > _MAX_LINK or len(value) > _MAX_LINK:
        raise InvalidParameterException(
            f"ProviderAttributeName must be {SUBJECT_ATTRIBUTE} (or, for SAML, an attribute "
            "of the assertion), with its value."
        )
    return name, attribute, value


def _check_attribute(provider: IdentityProvider, attribute: str) -> None:
    """Only a SAML identity may be named by another attribute (API reference: social
    identities by Cognito_Subject; OIDC is kept to it too, the documented case)."""
    if attribute != SUBJECT_ATTRIBUTE and provider.type is not ProviderType.SAML:
        raise InvalidParameterException(
            f"ProviderAttributeName must be {SUBJECT_ATTRIBUTE} for {provider.type.value}."
        )


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


async def save_identities(ctx: Context, conn: AsyncConnection, user: User) -> None:
    """Write the user's `identities` attribute from its identities and attribute links."""
    identities = await identity_store.all_identities_of_user(conn, user.id)
    attributes = {name: v for name, v in user.attributes.items() if name != "identities"}
    value = identities_attribute(identities)
    if value is not None:
        attributes["identities"] = value
    await user_store.update_user(conn, user.id, now=ctx.clock(), attributes=attributes)


@idp.operation("AdminLinkProviderForUser")
async def admin_link_provider_for_user(
    ctx: Context, req: shapes.AdminLinkProviderForUserRequest
) -> shapes.AdminLinkProviderForUserResponse:
    name, attribute, subject = _subject(req["SourceUser"])
    if req["DestinationUser"].get("ProviderName") == name:
        raise InvalidParameterException("The source and destination users have one provider.")
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        provider = await provider_store.get_identity_provider(conn, ctx.secrets, pool.id, name)
        if provider is None:
            raise ResourceNotFoundException(f"Identity provider {name} does not exist.")
        _check_attribute(provider, attribute)
        user = await _destination(conn, pool, req["DestinationUser"])
        if attribute != SUBJECT_ATTRIBUTE:
            await _link_attribute(ctx, conn, provider, user, attribute, subject)
            return {}
        existing = await identity_store.find_identity(conn, pool.id, name, subject)
        if existing is not None and existing.user_id == user.id and not existing.is_primary:
            return {}
        username = federated_username(name, subject, case_sensitive=pool.is_case_sensitive)
        key = username_key(username, case_sensitive=pool.is_case_sensitive)
        if existing is not None or await user_store.get_user(conn, pool.id, key) is not None:
            raise InvalidParameterException(_MERGED)
        await _check_limit(conn, user)
        identity = FederatedIdentity(
            pool_id=pool.id, provider_name=name, provider_type=provider.type.value,
            subject=subject, user_id=user.id, is_primary=False, created_at=now,
            issuer=provider.details.get("oidc_issuer") if provider.type is ProviderType.OIDC
            else None,
        )  # fmt: skip
        if not await identity_store.insert_identity(conn, identity):
            raise InvalidParameterException(_MERGED)
        await save_identities(ctx, conn, user)
    return {}


async def _check_limit(conn: AsyncConnection, user: User) -> None:
    if len(await identity_store.all_identities_of_user(conn, user.id)) >= MAX_LINKED_IDENTITIES:
        raise LimitExceededException("A user can have at most 5 linked identities.")


async def _link_attribute(
    ctx: Context, conn: AsyncConnection, provider: IdentityProvider, user: User,
    attribute: str, value: str,
) -> None:  # fmt: skip
    """Link the identity whose `attribute` is `value` (its first sign-in resolves it)."""
    existing = await identity_store.find_attribute_link(
        conn, provider.pool_id, provider.name, attribute, value
    )
    if existing is not None and existing.user_id == user.id:
        return
    if existing is not None:
        raise InvalidParameterException(_MERGED)
    await _check_limit(conn, user)
    link = AttributeLink(
        pool_id=provider.pool_id, provider_name=provider.name,
        provider_type=provider.type.value, attribute_name=attribute, attribute_value=value,
        user_id=user.id, created_at=ctx.clock(),
    )  # fmt: skip
    if not await identity_store.insert_attribute_link(conn, link):
        raise InvalidParameterException(_MERGED)
    await save_identities(ctx, conn, user)


@idp.operation("AdminDisableProviderForUser")
async def admin_disable_provider_for_user(
    ctx: Context, req: shapes.AdminDisableProviderForUserRequest
) -> shapes.AdminDisableProviderForUserResponse:
    if req["User"].get("ProviderName") in RESERVED_NAMES:
        raise InvalidParameterException(
            "Disabling the password sign-in of a native user is not supported."
        )
    name, attribute, subject = _subject(req["User"])
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        if attribute != SUBJECT_ATTRIBUTE:
            await _unlink_attribute(ctx, conn, pool, name, attribute, subject)
            return {}
        identity = await identity_store.find_identity(conn, pool.id, name, subject)
        user = await identity_store.user_of_identity(conn, pool.id, name, subject)
        if identity is None or user is None:
            raise UserNotFoundException("User does not exist.")
        await identity_store.delete_identity(conn, pool.id, name, subject)
        await save_identities(ctx, conn, user)
        if identity.is_primary:
            await user_store.update_user(conn, user.id, now=ctx.clock(), enabled=False)
    return {}


async def _unlink_attribute(
    ctx: Context, conn: AsyncConnection, pool: Pool, name: str, attribute: str, value: str
) -> None:
    link = await identity_store.find_attribute_link(conn, pool.id, name, attribute, value)
    if link is None:
        raise UserNotFoundException("User does not exist.")
    await identity_store.delete_attribute_link(conn, link)
    user = await identity_store.user_of_link(conn, link)
    if user is not None:
        await save_identities(ctx, conn, user)
