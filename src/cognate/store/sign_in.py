"""Sign-in state that must hold across processes: failure counters and spent sessions.

Both guarantees come from the database, never from process memory (DESIGN §0), so any number
of servers sharing one database agree:

* a failure counter changes only through single conditional UPDATE statements
  (`failures = failures + 1`), never read-modify-write, so concurrent attempts are each counted
  exactly once;
* a Session or SECRET_BLOCK is spent by inserting its id into `spent_sessions`, whose primary
  key lets exactly one of any number of concurrent consumers succeed.

Rows are pruned opportunistically: stale counters when a new counter is created (memory stays
bounded however many unknown names are tried, security-test-plan.md B26), expired session ids
when a session is spent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.dialects import is_unique_violation
from cognate.store.tables import sign_in_failures, spent_sessions

_failures = sign_in_failures.c


async def claim_attempt(
    conn: AsyncConnection,
    *,
    pool_id: str,
    subject: str,
    now: datetime,
    quiet_reset: timedelta,
    lockout_after: Callable[[int], timedelta],
) -> int | None:
    """Count one sign-in attempt as a failure, unless the subject is locked out.

    Returns the new number of consecutive failures, or None (and changes nothing) while
    `locked_until` is in the future. A counter untouched for `quiet_reset` restarts at 1.
    When the new count calls for a lockout (`lockout_after(count)` > 0) it starts now. The
    caller clears the counter with `clear_failures` once the password proves correct.
    """
    for _ in range(2):
        count = await _increment(conn, pool_id, subject, now, quiet_reset)
        if count is None:
            if await _exists(conn, pool_id, subject):
                return None
            if not await _insert(conn, pool_id, subject, now, quiet_reset):
                continue  # a concurrent transaction created the row first: count on it
            count = 1
        lockout = lockout_after(count)
        if lockout > timedelta(0):
            await conn.execute(
                sign_in_failures.update()
                .where(_failures.pool_id == pool_id, _failures.subject == subject)
                .values(locked_until=now + lockout)
            )
        return count
    raise RuntimeError("sign-in failure counter vanished while being created")


async def _increment(
    conn: AsyncConnection, pool_id: str, subject: str, now: datetime, quiet_reset: timedelta
) -> int | None:
    is_stale = _failures.updated_at <= now - quiet_reset
    statement = (
        sign_in_failures.update()
        .where(
            _failures.pool_id == pool_id,
            _failures.subject == subject,
            sa.or_(_failures.locked_until.is_(None), _failures.locked_until <= now),
        )
        .values(
            failures=sa.case((is_stale, 1), else_=_failures.failures + 1),
            locked_until=None,
            updated_at=now,
        )
        .returning(_failures.failures)
    )
    row = (await conn.execute(statement)).first()
    return int(row.failures) if row else None


async def _exists(conn: AsyncConnection, pool_id: str, subject: str) -> bool:
    query = sa.select(_failures.subject).where(
        _failures.pool_id == pool_id, _failures.subject == subject
    )
    return (await conn.execute(query)).first() is not None


async def _insert(
    conn: AsyncConnection, pool_id: str, subject: str, now: datetime, quiet_reset: timedelta
) -> bool:
    # A new counter is when the table can grow: drop the ones that no longer mean anything.
    await conn.execute(sign_in_failures.delete().where(_failures.updated_at <= now - quiet_reset))
    try:
        async with conn.begin_nested():
            await conn.execute(
                sign_in_failures.insert().values(
                    pool_id=pool_id, subject=subject, failures=1, locked_until=None, updated_at=now
                )
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True


async def clear_failures(conn: AsyncConnection, *, pool_id: str, subject: str) -> None:
    """Forget the subject's failures: the password was right (a success resets the count)."""
    await conn.execute(
        sign_in_failures.delete().where(_failures.pool_id == pool_id, _failures.subject == subject)
    )


async def failure_count(conn: AsyncConnection, *, pool_id: str, subject: str) -> int:
    """The subject's stored failure count (0 without a counter), for tests and diagnostics."""
    query = sa.select(_failures.failures).where(
        _failures.pool_id == pool_id, _failures.subject == subject
    )
    row = (await conn.execute(query)).first()
    return int(row.failures) if row else 0


async def spend_session(
    conn: AsyncConnection, *, session_id: str, expires_at: datetime, now: datetime
) -> bool:
    """Mark a session id used; False if it already was (by this or any concurrent request).

    The id is kept until the session would have expired anyway, after which an unseal fails on
    the expiry alone, so expired ids are deleted here.
    """
    await conn.execute(spent_sessions.delete().where(spent_sessions.c.expires_at < now))
    try:
        async with conn.begin_nested():
            await conn.execute(
                spent_sessions.insert().values(session_id=session_id, expires_at=expires_at)
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True
