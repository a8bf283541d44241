"""One-time codes in the store: issue (replacing the live one), consume (once), count attempts.

Single use and attempt limits are enforced by the database, not by process memory (DESIGN §0):
accepting a code is one conditional UPDATE that only one transaction can win, and a wrong guess
is counted by an UPDATE that increments atomically. Only keyed hashes of codes are stored; the
hash is compared in constant time before the conditional UPDATE repeats the check in SQL.

Rows whose purpose is `SENT:<purpose>` (domain.codes.send_purpose) or `CALLS:<operation>`
(domain.quotas.Quota) are not codes but budgets: `attempts` counts the codes sent, or the calls
made, in the window that started at `created_at` and ends at `expires_at`.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.codes import Outcome, is_live
from cognate.store.dialects import is_unique_violation
from cognate.store.tables import one_time_codes

_NO_CODE = "-"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredCode:
    """A code row: its id, keyed hash, wrong guesses so far, and lifetime."""

    id: int
    code_hash: str
    attempts: int
    expires_at: datetime
    used_at: datetime | None


def _stored(row: sa.Row[Any]) -> StoredCode:
    return StoredCode(
        id=row.id,
        code_hash=row.code_hash,
        attempts=row.attempts,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


async def get_code(conn: AsyncConnection, user_id: int, purpose: str) -> StoredCode | None:
    """The user's code row for `purpose` (live or not), or None."""
    query = one_time_codes.select().where(
        one_time_codes.c.user_id == user_id, one_time_codes.c.purpose == purpose
    )
    row = (await conn.execute(query)).first()
    return _stored(row) if row else None


async def issue_code(
    conn: AsyncConnection,
    *,
    user_id: int,
    purpose: str,
    code_hash: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Make `code_hash` the user's only live code for `purpose`; any earlier one stops working.

    The row of (user, purpose) is overwritten in place (unique constraint), with zero attempts.
    """
    values = {
        "code_hash": code_hash,
        "attempts": 0,
        "created_at": now,
        "expires_at": expires_at,
        "used_at": None,
    }
    await _upsert(conn, user_id, purpose, values)


async def _upsert(
    conn: AsyncConnection, user_id: int, purpose: str, values: dict[str, Any]
) -> None:
    where = (one_time_codes.c.user_id == user_id, one_time_codes.c.purpose == purpose)
    result = await conn.execute(one_time_codes.update().where(*where).values(**values))
    if result.rowcount:
        return
    try:
        async with conn.begin_nested():
            await conn.execute(
                one_time_codes.insert().values(user_id=user_id, purpose=purpose, **values)
            )
    except sa.exc.IntegrityError as exc:
        # A concurrent transaction inserted the row first: overwrite it instead.
        if not is_unique_violation(exc):
            raise
        await conn.execute(one_time_codes.update().where(*where).values(**values))


async def consume_code(
    conn: AsyncConnection,
    *,
    user_id: int,
    purpose: str,
    code_hash: str,
    now: datetime,
    max_attempts: int,
) -> Outcome:
    """Present a code. ACCEPTED happens at most once per issued code, whatever the concurrency.

    EXPIRED: no code, used, or past its expiry. EXHAUSTED: `max_attempts` wrong guesses were
    made, so even the right code is refused. MISMATCH: a wrong guess, now counted. The caller
    must commit even when the outcome is a refusal, or the counted guess is lost.
    """
    stored = await get_code(conn, user_id, purpose)
    if stored is None or not is_live(expires=stored.expires_at, used=stored.used_at, now=now):
        return Outcome.EXPIRED
    if stored.attempts >= max_attempts:
        return Outcome.EXHAUSTED
    if not hmac.compare_digest(stored.code_hash.encode(), code_hash.encode()):
        return await _count_wrong_guess(conn, stored.id, max_attempts)
    # The conditional UPDATE is the single-use guarantee: of many transactions holding the
    # right code, exactly one matches `used_at IS NULL`.
    accepted = await conn.execute(
        one_time_codes.update()
        .where(
            one_time_codes.c.id == stored.id,
            one_time_codes.c.used_at.is_(None),
            one_time_codes.c.expires_at > now,
            one_time_codes.c.code_hash == code_hash,
            one_time_codes.c.attempts < max_attempts,
        )
        .values(used_at=now)
    )
    return Outcome.ACCEPTED if accepted.rowcount == 1 else Outcome.EXPIRED


async def _count_wrong_guess(conn: AsyncConnection, code_id: int, max_attempts: int) -> Outcome:
    counted = await conn.execute(
        one_time_codes.update()
        .where(one_time_codes.c.id == code_id, one_time_codes.c.attempts < max_attempts)
        .values(attempts=one_time_codes.c.attempts + 1)
    )
    return Outcome.MISMATCH if counted.rowcount == 1 else Outcome.EXHAUSTED


async def discard_code(conn: AsyncConnection, user_id: int, purpose: str) -> None:
    """Remove the user's code for `purpose`, if any (it can no longer be used)."""
    await conn.execute(
        one_time_codes.delete().where(
            one_time_codes.c.user_id == user_id, one_time_codes.c.purpose == purpose
        )
    )


async def take_send(
    conn: AsyncConnection,
    *,
    user_id: int,
    budget_purpose: str,
    now: datetime,
    window: timedelta,
    limit: int,
) -> bool:
    """Count one more use (a code sent, a call made) of the budget `budget_purpose`; False
    (nothing counted) when `limit` uses were already made in the current window. A window that
    has ended starts afresh.

    Every step is a conditional statement, so concurrent calls lose no count: of those finding
    no running window, one starts it and the others count in it.
    """
    where = (one_time_codes.c.user_id == user_id, one_time_codes.c.purpose == budget_purpose)

    async def count_in_window() -> bool:
        counted = await conn.execute(
            one_time_codes.update()
            .where(*where, one_time_codes.c.expires_at > now, one_time_codes.c.attempts < limit)
            .values(attempts=one_time_codes.c.attempts + 1)
        )
        return counted.rowcount == 1

    if await count_in_window():
        return True
    values = {
        "code_hash": _NO_CODE,
        "attempts": 1,
        "created_at": now,
        "expires_at": now + window,
        "used_at": None,
    }
    restarted = await conn.execute(
        one_time_codes.update().where(*where, one_time_codes.c.expires_at <= now).values(**values)
    )
    if restarted.rowcount:
        return True
    if await get_code(conn, user_id, budget_purpose) is not None:
        return await count_in_window()  # a running window, full unless it has just started
    try:
        async with conn.begin_nested():
            await conn.execute(
                one_time_codes.insert().values(user_id=user_id, purpose=budget_purpose, **values)
            )
    except sa.exc.IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        return await count_in_window()  # a concurrent call started the window
    return True
