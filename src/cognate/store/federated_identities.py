"""Queries on users' external identities and on spent federation states."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.federated_identity import FederatedIdentity
from cognate.domain.user import User
from cognate.store.dialects import is_unique_violation
from cognate.store.tables import federated_identities, federation_states, users
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
