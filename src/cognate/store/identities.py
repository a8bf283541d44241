"""Queries on identities of identity pools, the logins linked to them, and the temporary
credentials issued to them.

A login is (canonical provider name, token sub); the primary key of `identity_logins` makes
it name at most one identity per pool, whichever of two racing GetId calls wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.dialects import is_unique_violation
from cognate.store.tables import identities, identity_credentials, identity_logins


@dataclass(frozen=True, slots=True, kw_only=True)
class Identity:
    """An identity: its pool, times, and the (provider, subject) logins linked to it."""

    id: str
    pool_id: str
    created_at: datetime
    updated_at: datetime
    logins: tuple[tuple[str, str], ...]

    @property
    def is_guest(self) -> bool:
        """Whether no login is linked: an unauthenticated identity."""
        return not self.logins

    @property
    def providers(self) -> list[str]:
        """The providers linked, as DescribeIdentity lists them."""
        return sorted({provider for provider, _ in self.logins})


async def _logins(conn: AsyncConnection, identity_ids: list[str]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {identity_id: [] for identity_id in identity_ids}
    if identity_ids:
        query = identity_logins.select().where(identity_logins.c.identity_id.in_(identity_ids))
        for row in await conn.execute(query):
            found[row.identity_id].append((row.provider, row.subject))
    return found


def _identity(row: sa.Row[Any], logins: list[Any]) -> Identity:
    return Identity(
        id=row.id,
        pool_id=row.pool_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        logins=tuple(sorted(logins)),
    )


async def insert_identity(
    conn: AsyncConnection, identity_id: str, pool_id: str, *, now: datetime
) -> None:
    """Store a new identity without logins."""
    await conn.execute(
        identities.insert().values(id=identity_id, pool_id=pool_id, created_at=now, updated_at=now)
    )


async def get_identity(conn: AsyncConnection, identity_id: str) -> Identity | None:
    """The identity `identity_id` with its logins, or None."""
    row = (await conn.execute(identities.select().where(identities.c.id == identity_id))).first()
    if row is None:
        return None
    return _identity(row, (await _logins(conn, [row.id]))[row.id])


async def list_identities(
    conn: AsyncConnection, pool_id: str, *, after: str | None, limit: int
) -> list[Identity]:
    """The pool's identities ordered by id, after `after`, at most `limit`."""
    query = (
        identities.select()
        .where(identities.c.pool_id == pool_id)
        .order_by(identities.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(identities.c.id > after)
    rows = list(await conn.execute(query))
    logins = await _logins(conn, [row.id for row in rows])
    return [_identity(row, logins[row.id]) for row in rows]


async def delete_identity(conn: AsyncConnection, identity_id: str) -> bool:
    """Delete an identity with its logins; False if there was none."""
    result = await conn.execute(identities.delete().where(identities.c.id == identity_id))
    return bool(result.rowcount)


async def find_login(
    conn: AsyncConnection, pool_id: str, provider: str, subject: str
) -> str | None:
    """The id of the identity the login is linked to, or None."""
    query = sa.select(identity_logins.c.identity_id).where(
        identity_logins.c.pool_id == pool_id,
        identity_logins.c.provider == provider,
        identity_logins.c.subject == subject,
    )
    return (await conn.execute(query)).scalar()


async def link_login(
    conn: AsyncConnection,
    *,
    pool_id: str,
    identity_id: str,
    provider: str,
    subject: str,
    now: datetime,
) -> bool:
    """Link a login to an identity; False if the login is already linked (to any identity)."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                identity_logins.insert().values(
                    pool_id=pool_id,
                    provider=provider,
                    subject=subject,
                    identity_id=identity_id,
                    created_at=now,
                )
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            return False
        raise
    await conn.execute(
        identities.update().where(identities.c.id == identity_id).values(updated_at=now)
    )
    return True


async def unlink_provider(
    conn: AsyncConnection, identity_id: str, provider: str, *, now: datetime
) -> None:
    """Remove the identity's logins of `provider`."""
    await conn.execute(
        identity_logins.delete().where(
            identity_logins.c.identity_id == identity_id, identity_logins.c.provider == provider
        )
    )
    await conn.execute(
        identities.update().where(identities.c.id == identity_id).values(updated_at=now)
    )


async def insert_credentials(
    conn: AsyncConnection,
    *,
    access_key_id: str,
    identity_id: str,
    role_arn: str,
    secret_hash: str,
    session_token_hash: str,
    expires_at: datetime,
) -> None:
    """Record temporary credentials issued to an identity (only hashes of their secrets)."""
    await conn.execute(
        identity_credentials.insert().values(
            access_key_id=access_key_id,
            identity_id=identity_id,
            role_arn=role_arn,
            secret_hash=secret_hash,
            session_token_hash=session_token_hash,
            expires_at=expires_at,
        )
    )


async def delete_expired_credentials(conn: AsyncConnection, now: datetime) -> None:
    """Forget credentials that have expired, so the table holds only live ones."""
    await conn.execute(
        identity_credentials.delete().where(identity_credentials.c.expires_at <= now)
    )


async def subjects_of(
    conn: AsyncConnection, identity_id: str, provider: str, *, after: str | None, limit: int
) -> list[str]:
    """The subjects of the identity's logins of `provider` (a developer provider's user
    identifiers) in order, after `after`, at most `limit`."""
    query = (
        sa.select(identity_logins.c.subject)
        .where(identity_logins.c.identity_id == identity_id, identity_logins.c.provider == provider)
        .order_by(identity_logins.c.subject)
        .limit(limit)
    )
    if after is not None:
        query = query.where(identity_logins.c.subject > after)
    return [str(subject) for subject in (await conn.execute(query)).scalars()]


async def unlink_login(
    conn: AsyncConnection, identity_id: str, provider: str, subject: str, *, now: datetime
) -> bool:
    """Remove one login of the identity; False if the identity had no such login."""
    result = await conn.execute(
        identity_logins.delete().where(
            identity_logins.c.identity_id == identity_id,
            identity_logins.c.provider == provider,
            identity_logins.c.subject == subject,
        )
    )
    if not result.rowcount:
        return False
    await conn.execute(
        identities.update().where(identities.c.id == identity_id).values(updated_at=now)
    )
    return True


async def move_logins(
    conn: AsyncConnection, source_id: str, destination_id: str, *, now: datetime
) -> None:
    """Relink every login of `source_id` to `destination_id` (MergeDeveloperIdentities)."""
    await conn.execute(
        identity_logins.update()
        .where(identity_logins.c.identity_id == source_id)
        .values(identity_id=destination_id)
    )
    await conn.execute(
        identities.update().where(identities.c.id == destination_id).values(updated_at=now)
    )
