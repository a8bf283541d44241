"""Pending attribute values: a new email or phone number held until the user verifies it.

Cognito developer guide, "Verifying updates to email addresses and phone numbers"
(UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate): the new value waits
beside the user while the old one stays in force. A user has at most one pending value per
attribute (primary key), so holding a second one replaces the first. Values arrive and leave
already encrypted: this module never sees the plaintext.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.dialects import is_unique_violation
from cognate.store.tables import pending_attributes


def _where(user_id: int, attribute: str) -> tuple[sa.ColumnElement[bool], ...]:
    return (pending_attributes.c.user_id == user_id, pending_attributes.c.attribute == attribute)


async def hold_value(
    conn: AsyncConnection, *, user_id: int, attribute: str, ciphertext: bytes, now: datetime
) -> None:
    """Make `ciphertext` the user's only pending value of `attribute`, replacing any earlier one."""
    values = {"value": ciphertext, "created_at": now}
    where = _where(user_id, attribute)
    replaced = await conn.execute(pending_attributes.update().where(*where).values(**values))
    if replaced.rowcount:
        return
    try:
        async with conn.begin_nested():
            await conn.execute(
                pending_attributes.insert().values(user_id=user_id, attribute=attribute, **values)
            )
    except sa.exc.IntegrityError as exc:
        # A concurrent transaction held a value first: the newest request wins, as above.
        if not is_unique_violation(exc):
            raise
        await conn.execute(pending_attributes.update().where(*where).values(**values))


async def get_value(conn: AsyncConnection, user_id: int, attribute: str) -> bytes | None:
    """The encrypted pending value of `attribute`, or None when nothing is pending."""
    query = sa.select(pending_attributes.c.value).where(*_where(user_id, attribute))
    value = (await conn.execute(query)).scalar_one_or_none()
    return bytes(value) if value is not None else None


async def discard_value(conn: AsyncConnection, user_id: int, attribute: str) -> bool:
    """Drop the pending value of `attribute`; True if there was one."""
    result = await conn.execute(pending_attributes.delete().where(*_where(user_id, attribute)))
    return bool(result.rowcount)
