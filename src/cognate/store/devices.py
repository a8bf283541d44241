"""Devices in the store: pending devices issued at sign-in, confirmed ones with their sealed
SRP verifier, status changes and listing. Callers encrypt salt and verifier; this module never
sees them in the clear. Every query is scoped to one user, so a device key of another user is
simply not found.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.device import Device, RememberedStatus
from cognate.store.tables import devices, refresh_tokens

_devices = devices.c


def _device(row: sa.Row[Any]) -> Device:
    status = row.remembered_status
    return Device(
        key=row.device_key,
        pool_id=row.pool_id,
        user_id=row.user_id,
        group_key=row.device_group_key,
        salt=row.salt,
        verifier=row.verifier,
        name=row.name,
        attributes=dict(row.attributes or {}),
        remembered_status=RememberedStatus(status) if status is not None else None,
        created_at=row.created_at,
        last_authenticated_at=row.last_authenticated_at,
        last_modified_at=row.last_modified_at,
        last_ip=row.last_ip,
    )


async def insert_pending(
    conn: AsyncConnection,
    *,
    key: str,
    pool_id: str,
    user_id: int,
    group_key: str,
    source_ip: str | None,
    now: datetime,
) -> None:
    """Store a device issued by a sign-in, before its ConfirmDevice."""
    await conn.execute(
        devices.insert().values(
            device_key=key, pool_id=pool_id, user_id=user_id, device_group_key=group_key,
            attributes={}, created_at=now, last_authenticated_at=now, last_modified_at=now,
            last_ip=source_ip or None,
        )
    )  # fmt: skip


async def get_device(conn: AsyncConnection, user_id: int, key: str) -> Device | None:
    """The user's device `key` (pending or confirmed), or None."""
    row = (
        await conn.execute(
            devices.select().where(_devices.device_key == key, _devices.user_id == user_id)
        )
    ).first()
    return _device(row) if row else None


async def confirm(
    conn: AsyncConnection,
    user_id: int,
    key: str,
    *,
    salt: bytes,
    verifier: bytes,
    name: str | None,
    status: RememberedStatus,
    now: datetime,
) -> bool:
    """Store the verifier of a *pending* device; False if it is not the user's pending device
    (a concurrent ConfirmDevice already won, or it was confirmed before)."""
    updated = await conn.execute(
        devices.update()
        .where(
            _devices.device_key == key, _devices.user_id == user_id, _devices.verifier.is_(None)
        )
        .values(salt=salt, verifier=verifier, name=name, remembered_status=status.value,
                last_modified_at=now)
    )  # fmt: skip
    return bool(updated.rowcount)


async def set_status(
    conn: AsyncConnection, user_id: int, key: str, status: RememberedStatus, *, now: datetime
) -> bool:
    """Change a confirmed device's remembered status; False if there is no such device."""
    updated = await conn.execute(
        devices.update()
        .where(
            _devices.device_key == key,
            _devices.user_id == user_id,
            _devices.verifier.is_not(None),
        )
        .values(remembered_status=status.value, last_modified_at=now)
    )
    return bool(updated.rowcount)


async def touch(conn: AsyncConnection, key: str, *, source_ip: str | None, now: datetime) -> None:
    """Record a sign-in from the device."""
    values: Mapping[str, Any] = {"last_authenticated_at": now}
    if source_ip:
        values = {**values, "last_ip": source_ip}
    await conn.execute(devices.update().where(_devices.device_key == key).values(**values))


async def delete_device(conn: AsyncConnection, user_id: int, key: str) -> bool:
    """Forget the user's device `key`; False if there was none."""
    deleted = await conn.execute(
        devices.delete().where(_devices.device_key == key, _devices.user_id == user_id)
    )
    return bool(deleted.rowcount)


async def end_refresh_tokens(conn: AsyncConnection, user_id: int, key: str, now: datetime) -> int:
    """Make the user's refresh tokens bound to device `key` unusable from `now`; how many.

    They expire now rather than being revoked: a revoked refresh token also revokes the access
    tokens minted from it (their origin_jti), and forgetting a device leaves those valid.
    """
    ended = await conn.execute(
        refresh_tokens.update()
        .where(
            refresh_tokens.c.user_id == user_id,
            refresh_tokens.c.device_key == key,
            refresh_tokens.c.expires_at > now,
        )
        .values(expires_at=now)
    )
    return int(ended.rowcount or 0)


async def list_devices(
    conn: AsyncConnection, user_id: int, *, after: str | None, limit: int
) -> list[Device]:
    """Up to `limit` confirmed devices of the user, by device key, after the key `after`."""
    query = devices.select().where(_devices.user_id == user_id, _devices.verifier.is_not(None))
    if after is not None:
        query = query.where(_devices.device_key > after)
    rows = await conn.execute(query.order_by(_devices.device_key).limit(limit))
    return [_device(row) for row in rows]
