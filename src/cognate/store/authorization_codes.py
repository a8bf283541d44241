"""Queries on OAuth 2.0 authorization codes (RFC 6749 §4.1), stored only as keyed hashes.

Single use is the database's job (DESIGN §0): `spend_code` is one conditional UPDATE, so of any
number of concurrent exchanges exactly one wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.user import User
from cognate.store.tables import authorization_codes, users
from cognate.store.users import user_from_row


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredCode:
    """An authorization code's row: what it grants and to whom, and whether it was used."""

    code_hash: str
    pool_id: str
    client_id: str
    user_id: int
    redirect_uri: str
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    auth_time: datetime
    expires_at: datetime
    used_at: datetime | None
    refresh_token_hash: str | None


async def insert_code(conn: AsyncConnection, code: StoredCode) -> None:
    """Store a new, unused authorization code."""
    await conn.execute(
        authorization_codes.insert().values(
            code_hash=code.code_hash,
            pool_id=code.pool_id,
            client_id=code.client_id,
            user_id=code.user_id,
            redirect_uri=code.redirect_uri,
            scopes=list(code.scopes),
            nonce=code.nonce,
            code_challenge=code.code_challenge,
            auth_time=code.auth_time,
            expires_at=code.expires_at,
        )
    )


def _code(row: sa.Row[Any]) -> StoredCode:
    return StoredCode(
        code_hash=row.ac_code_hash,
        pool_id=row.ac_pool_id,
        client_id=row.ac_client_id,
        user_id=row.ac_user_id,
        redirect_uri=row.ac_redirect_uri,
        scopes=tuple(row.ac_scopes),
        nonce=row.ac_nonce,
        code_challenge=row.ac_code_challenge,
        auth_time=row.ac_auth_time,
        expires_at=row.ac_expires_at,
        used_at=row.ac_used_at,
        refresh_token_hash=row.ac_refresh_token_hash,
    )


_CODE_COLUMNS: Sequence[sa.Label[Any]] = [
    column.label(f"ac_{column.name}") for column in authorization_codes.c
]


async def find_code(conn: AsyncConnection, code_hash: str) -> tuple[StoredCode, User] | None:
    """The code with hash `code_hash` and its user, or None."""
    query = (
        sa.select(users, *_CODE_COLUMNS)
        .join(authorization_codes, authorization_codes.c.user_id == users.c.id)
        .where(authorization_codes.c.code_hash == code_hash)
    )
    row = (await conn.execute(query)).first()
    return (_code(row), user_from_row(row)) if row else None


async def spend_code(conn: AsyncConnection, code_hash: str, now: datetime) -> bool:
    """Mark the code used; True only for the one caller that did it first, before it expired."""
    result = await conn.execute(
        authorization_codes.update()
        .where(
            authorization_codes.c.code_hash == code_hash,
            authorization_codes.c.used_at.is_(None),
            authorization_codes.c.expires_at > now,
        )
        .values(used_at=now)
    )
    return bool(result.rowcount == 1)


async def remember_refresh_token(
    conn: AsyncConnection, code_hash: str, refresh_token_hash: str
) -> None:
    """Record which refresh token the code's exchange issued (revoked if the code comes back)."""
    await conn.execute(
        authorization_codes.update()
        .where(authorization_codes.c.code_hash == code_hash)
        .values(refresh_token_hash=refresh_token_hash)
    )
