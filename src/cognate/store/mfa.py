"""Software tokens in the store: a user's TOTP seeds and the replay guard.

Seeds are stored only as SecretBox ciphertexts (the callers encrypt with purpose "totp-seed");
this module never sees a seed in the clear. A new seed waits in `pending_secret` until
VerifySoftwareToken proves the authenticator holds it, so associating a new device never
disables the one in use.

The replay guard (RFC 6238 §5.2, security-test-plan.md E47) is one conditional UPDATE: a step
is accepted only if it is newer than `last_step`, so of any number of concurrent requests
presenting codes of the same step exactly one wins, on every server sharing the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.dialects import is_unique_violation
from cognate.store.tables import software_tokens

_tokens = software_tokens.c


@dataclass(frozen=True, slots=True, kw_only=True)
class SoftwareToken:
    """A user's token row: the verified seed (sealed), the pending one, the last step used."""

    user_id: int
    secret: bytes | None
    pending_secret: bytes | None
    friendly_name: str | None
    last_step: int | None


def _token(row: sa.Row[Any]) -> SoftwareToken:
    return SoftwareToken(
        user_id=row.user_id,
        secret=row.secret,
        pending_secret=row.pending_secret,
        friendly_name=row.friendly_name,
        last_step=row.last_step,
    )


async def get_token(conn: AsyncConnection, user_id: int) -> SoftwareToken | None:
    """The user's software token row, or None if AssociateSoftwareToken was never called."""
    row = (await conn.execute(software_tokens.select().where(_tokens.user_id == user_id))).first()
    return _token(row) if row else None


async def set_pending(
    conn: AsyncConnection, user_id: int, sealed_secret: bytes, *, now: datetime
) -> None:
    """Hold `sealed_secret` as the user's unverified seed, replacing any earlier pending one."""
    updated = await conn.execute(
        software_tokens.update()
        .where(_tokens.user_id == user_id)
        .values(pending_secret=sealed_secret, updated_at=now)
    )
    if updated.rowcount:
        return
    try:
        async with conn.begin_nested():
            await conn.execute(
                software_tokens.insert().values(
                    user_id=user_id, pending_secret=sealed_secret, created_at=now, updated_at=now
                )
            )
    except sa.exc.IntegrityError as exc:
        # A concurrent first association created the row: the newest seed wins, as above.
        if not is_unique_violation(exc):
            raise
        await conn.execute(
            software_tokens.update()
            .where(_tokens.user_id == user_id)
            .values(pending_secret=sealed_secret, updated_at=now)
        )


async def activate(
    conn: AsyncConnection,
    user_id: int,
    *,
    pending_secret: bytes,
    friendly_name: str | None,
    now: datetime,
) -> bool:
    """Make the pending seed the user's seed; False if another request replaced it meanwhile.

    The replay guard restarts: the old seed's steps say nothing about the new one's.
    """
    activated = await conn.execute(
        software_tokens.update()
        .where(_tokens.user_id == user_id, _tokens.pending_secret == pending_secret)
        .values(
            secret=pending_secret,
            pending_secret=None,
            friendly_name=friendly_name,
            last_step=None,
            updated_at=now,
        )
    )
    return bool(activated.rowcount)


async def claim_step(conn: AsyncConnection, user_id: int, step: int, *, now: datetime) -> bool:
    """Record `step` as used; False (nothing changed) if it or a later step already was."""
    claimed = await conn.execute(
        software_tokens.update()
        .where(
            _tokens.user_id == user_id,
            _tokens.secret.is_not(None),
            sa.or_(_tokens.last_step.is_(None), _tokens.last_step < step),
        )
        .values(last_step=step, updated_at=now)
    )
    return bool(claimed.rowcount)
