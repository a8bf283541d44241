"""Passkeys in the store: registration, listing, deletion and the signature counter. Every query
is scoped to one user, so another user's credential id is simply not found.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.passkeys import Passkey
from cognate.errors import InvalidParameterException
from cognate.store.dialects import is_unique_violation
from cognate.store.tables import webauthn_credentials

_passkeys = webauthn_credentials.c


def _passkey(row: sa.Row[Any]) -> Passkey:
    return Passkey(
        credential_id=row.credential_id,
        pool_id=row.pool_id,
        user_id=row.user_id,
        public_key=row.public_key,
        sign_count=row.sign_count,
        friendly_name=row.friendly_name,
        relying_party_id=row.relying_party_id,
        attachment=row.attachment,
        transports=tuple(row.transports or ()),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


async def insert_passkey(conn: AsyncConnection, passkey: Passkey) -> None:
    """Store a new passkey. InvalidParameterException if its credential id is already
    registered in the pool (to this user or another)."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                webauthn_credentials.insert().values(
                    pool_id=passkey.pool_id, credential_id=passkey.credential_id,
                    user_id=passkey.user_id, public_key=passkey.public_key,
                    sign_count=passkey.sign_count, friendly_name=passkey.friendly_name,
                    relying_party_id=passkey.relying_party_id, attachment=passkey.attachment,
                    transports=list(passkey.transports), created_at=passkey.created_at,
                )
            )  # fmt: skip
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            raise InvalidParameterException("This passkey is already registered.") from exc
        raise


async def list_passkeys(conn: AsyncConnection, user_id: int) -> list[Passkey]:
    """The user's passkeys, oldest first (at most domain.passkeys.MAX_PASSKEYS)."""
    query = (
        webauthn_credentials.select()
        .where(_passkeys.user_id == user_id)
        .order_by(_passkeys.created_at, _passkeys.credential_id)
    )
    return [_passkey(row) for row in await conn.execute(query)]


async def count_passkeys(conn: AsyncConnection, user_id: int) -> int:
    """How many passkeys the user holds."""
    query = (
        sa.select(sa.func.count())
        .select_from(webauthn_credentials)
        .where(_passkeys.user_id == user_id)
    )
    return int((await conn.execute(query)).scalar_one())


async def get_passkey(conn: AsyncConnection, user_id: int, credential_id: str) -> Passkey | None:
    """The user's passkey with this credential id, or None."""
    query = webauthn_credentials.select().where(
        _passkeys.user_id == user_id, _passkeys.credential_id == credential_id
    )
    row = (await conn.execute(query)).first()
    return _passkey(row) if row else None


async def delete_passkey(conn: AsyncConnection, user_id: int, credential_id: str) -> bool:
    """Delete the user's passkey; False if the user has none with this id."""
    result = await conn.execute(
        webauthn_credentials.delete().where(
            _passkeys.user_id == user_id, _passkeys.credential_id == credential_id
        )
    )
    return result.rowcount > 0


async def record_use(
    conn: AsyncConnection, passkey: Passkey, *, sign_count: int, now: datetime
) -> bool:
    """Move the passkey's counter to `sign_count` after a sign-in, only if it still holds the
    value the assertion was checked against: False when a concurrent sign-in (or a deletion)
    got there first, so one counter value is never accepted twice."""
    result = await conn.execute(
        webauthn_credentials.update()
        .where(
            _passkeys.pool_id == passkey.pool_id,
            _passkeys.credential_id == passkey.credential_id,
            _passkeys.user_id == passkey.user_id,
            _passkeys.sign_count == passkey.sign_count,
        )
        .values(sign_count=sign_count, last_used_at=now)
    )
    return result.rowcount > 0
