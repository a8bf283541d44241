"""Queries on signing keys (token keys and the pool's SAML certificate)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.tables import signing_keys


async def current_certificate(conn: AsyncConnection, pool_id: str, purpose: str) -> str | None:
    """The certificate of the pool's newest unretired key for `purpose`, or None."""
    query = (
        sa.select(signing_keys.c.certificate)
        .where(
            signing_keys.c.pool_id == pool_id,
            signing_keys.c.purpose == purpose,
            signing_keys.c.retired_at.is_(None),
        )
        .order_by(signing_keys.c.created_at.desc())
        .limit(1)
    )
    return (await conn.execute(query)).scalar_one_or_none()


async def insert_key(
    conn: AsyncConnection,
    *,
    kid: str,
    pool_id: str,
    purpose: str,
    private_key: bytes,
    certificate: str | None,
    now: datetime,
) -> None:
    """Store a new signing key (its private part already encrypted by the caller)."""
    await conn.execute(
        signing_keys.insert().values(
            kid=kid,
            pool_id=pool_id,
            purpose=purpose,
            private_key=private_key,
            certificate=certificate,
            created_at=now,
        )
    )


async def current_key_pair(
    conn: AsyncConnection, pool_id: str, purpose: str
) -> tuple[bytes, str] | None:
    """The pool's newest unretired key for `purpose`: its private part (encrypted, as stored)
    and its certificate; None if it has none, or none with a certificate."""
    query = (
        sa.select(signing_keys.c.private_key, signing_keys.c.certificate)
        .where(
            signing_keys.c.pool_id == pool_id,
            signing_keys.c.purpose == purpose,
            signing_keys.c.retired_at.is_(None),
        )
        .order_by(signing_keys.c.created_at.desc())
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    if row is None or row.certificate is None:
        return None
    return bytes(row.private_key), str(row.certificate)
