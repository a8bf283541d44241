"""Queries on users' external identities and on spent federation states."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.federated_identity import AttributeLink, FederatedIdentity
from cognate.domain.user import User
from cognate.store.dialects import is_unique_violation
from cognate.store.tables import (
    federated_attribute_links,
    federated_identities,
    federation_states,
    users,
)
from cognate.store.users import user_from_row


def _identity(row: sa.Row[Any]) -> FederatedIdentity:
    return FederatedIdentity(
        pool_id=row.pool_id,
        provider_name=row.provider_name,
        provider_type=row.provider_type,
        subject=row.subject,
        user_id=row.user_id,
        issuer=row.issuer,
        is_primary=row.is_primary,
        created_at=row.created_at,
    )


async def find_identity(
    conn: AsyncConnection, pool_id: str, provider_name: str, subject: str
) -> FederatedIdentity | None:
    """The identity `subject` of provider `provider_name` in the pool, or None."""
    query = federated_identities.select().where(
        federated_identities.c.pool_id == pool_id,
        federated_identities.c.provider_name == provider_name,
        federated_identities.c.subject == subject,
    )
    row = (await conn.execute(query)).first()
    return _identity(row) if row else None


async def user_of_identity(
    conn: AsyncConnection, pool_id: str, provider_name: str, subject: str
) -> User | None:
    """The user the identity `subject` of provider `provider_name` signs in as, or None."""
    query = (
        users.select()
        .join(federated_identities, federated_identities.c.user_id == users.c.id)
        .where(
            federated_identities.c.pool_id == pool_id,
            federated_identities.c.provider_name == provider_name,
            federated_identities.c.subject == subject,
        )
    )
    row = (await conn.execute(query)).first()
    return user_from_row(row) if row else None


async def identities_of_user(conn: AsyncConnection, user_id: int) -> list[FederatedIdentity]:
    """Every external identity of the user, oldest first."""
    query = (
        federated_identities.select()
        .where(federated_identities.c.user_id == user_id)
        .order_by(federated_identities.c.created_at)
    )
    return [_identity(row) for row in await conn.execute(query)]


async def insert_identity(conn: AsyncConnection, identity: FederatedIdentity) -> bool:
    """Store a new identity; False if that provider's subject already belongs to a user."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                federated_identities.insert().values(
                    pool_id=identity.pool_id,
                    provider_name=identity.provider_name,
                    subject=identity.subject,
                    user_id=identity.user_id,
                    provider_type=identity.provider_type,
                    issuer=identity.issuer,
                    is_primary=identity.is_primary,
                    created_at=identity.created_at,
                )
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True


async def delete_identity(
    conn: AsyncConnection, pool_id: str, provider_name: str, subject: str
) -> None:
    """Forget an identity (its user stays)."""
    await conn.execute(
        federated_identities.delete().where(
            federated_identities.c.pool_id == pool_id,
            federated_identities.c.provider_name == provider_name,
            federated_identities.c.subject == subject,
        )
    )


async def spend_state(
    conn: AsyncConnection, state_id: str, *, expires_at: datetime, now: datetime
) -> bool:
    """Record a federation state as used; False if it was used before (a replay). Spent states
    past their expiry are purged on the way: they could not be accepted anyway."""
    await conn.execute(federation_states.delete().where(federation_states.c.expires_at < now))
    try:
        async with conn.begin_nested():
            await conn.execute(
                federation_states.insert().values(id=state_id, expires_at=expires_at)
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True


def _link(row: sa.Row[Any]) -> AttributeLink:
    return AttributeLink(
        pool_id=row.pool_id,
        provider_name=row.provider_name,
        provider_type=row.provider_type,
        attribute_name=row.attribute_name,
        attribute_value=row.attribute_value,
        user_id=row.user_id,
        created_at=row.created_at,
    )


async def insert_attribute_link(conn: AsyncConnection, link: AttributeLink) -> bool:
    """Store a new attribute link; False if that provider's attribute value is linked already."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                federated_attribute_links.insert().values(
                    pool_id=link.pool_id,
                    provider_name=link.provider_name,
                    attribute_name=link.attribute_name,
                    attribute_value=link.attribute_value,
                    user_id=link.user_id,
                    provider_type=link.provider_type,
                    created_at=link.created_at,
                )
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True


async def attribute_links(
    conn: AsyncConnection, pool_id: str, provider_name: str
) -> list[AttributeLink]:
    """The provider's attribute links in the pool, oldest first."""
    query = (
        federated_attribute_links.select()
        .where(
            federated_attribute_links.c.pool_id == pool_id,
            federated_attribute_links.c.provider_name == provider_name,
        )
        .order_by(federated_attribute_links.c.created_at)
    )
    return [_link(row) for row in await conn.execute(query)]


async def find_attribute_link(
    conn: AsyncConnection, pool_id: str, provider_name: str, name: str, value: str
) -> AttributeLink | None:
    """The link of the provider's attribute `name` = `value`, or None."""
    query = federated_attribute_links.select().where(
        federated_attribute_links.c.pool_id == pool_id,
        federated_attribute_links.c.provider_name == provider_name,
        federated_attribute_links.c.attribute_name == name,
        federated_attribute_links.c.attribute_value == value,
    )
    row = (await conn.execute(query)).first()
    return _link(row) if row else None


async def delete_attribute_link(conn: AsyncConnection, link: AttributeLink) -> bool:
    """Forget an attribute link; False if it was gone already (used by a racing sign-in)."""
    result = await conn.execute(
        federated_attribute_links.delete().where(
            federated_attribute_links.c.pool_id == link.pool_id,
            federated_attribute_links.c.provider_name == link.provider_name,
            federated_attribute_links.c.attribute_name == link.attribute_name,
            federated_attribute_links.c.attribute_value == link.attribute_value,
        )
    )
    return bool(result.rowcount)


async def all_identities_of_user(conn: AsyncConnection, user_id: int) -> list[FederatedIdentity]:
    """Every external identity of the user, the attribute links still unused included."""
    query = federated_attribute_links.select().where(federated_attribute_links.c.user_id == user_id)
    links = [_link(row).as_identity() for row in await conn.execute(query)]
    identities = [*await identities_of_user(conn, user_id), *links]
    return sorted(identities, key=lambda identity: identity.created_at)


async def user_of_link(conn: AsyncConnection, link: AttributeLink) -> User | None:
    """The user an attribute link leads to, or None."""
    row = (await conn.execute(users.select().where(users.c.id == link.user_id))).first()
    return user_from_row(row) if row else None
