"""Queries on the keys that sign GetOpenIdToken's tokens (one set for the whole server)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.tables import identity_signing_keys


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredIdentityKey:
    """A stored key: kid and the AES-GCM ciphertext of its PEM private key."""

    kid: str
    private_key: bytes


async def identity_keys(conn: AsyncConnection) -> list[StoredIdentityKey]:
    """Every key, oldest first (the oldest is the current one; ties broken by kid)."""
    query = identity_signing_keys.select().order_by(
        identity_signing_keys.c.created_at, identity_signing_keys.c.kid
    )
    return [
        StoredIdentityKey(kid=row.kid, private_key=row.private_key)
        for row in await conn.execute(query)
    ]


async def insert_identity_key(
    conn: AsyncConnection, *, kid: str, private_key: bytes, now: datetime
) -> None:
    """Store a new key."""
    await conn.execute(
        identity_signing_keys.insert().values(kid=kid, private_key=private_key, created_at=now)
    )
