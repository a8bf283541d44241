"""Sign-in state that must hold across processes: failure counters and spent sessions.

Both guarantees come from the database, never from process memory (DESIGN §0), so any number
of servers sharing one database agree:

* a failure counter changes only through single conditional statements (one INSERT .. ON
  CONFLICT DO UPDATE `failures = failures + 1` .. WHERE not locked), never read-modify-write, so
  concurrent attempts are each counted exactly once;
* a Session or SECRET_BLOCK is spent by inserting its id into `spent_sessions` (ON CONFLICT DO
  NOTHING), whose primary key lets exactly one of any number of concurrent consumers succeed.

Rows are pruned opportunistically: stale counters when a new counter is created (memory stays
bounded however many unknown names are tried, security-test-plan.md B26), expired session ids
when a session is spent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.store import Store
from cognate.store.tables import sign_in_failures, spent_sessions

_failures = sign_in_failures.c


def _claim_statement(dialect: Any) -> Any:
    """INSERT a counter at 1, or count one more failure on the existing one unless it is locked.

    One statement (INSERT .. ON CONFLICT DO UPDATE .. WHERE .. RETURNING), so concurrent
    attempts are each counted exactly once, with no read before the write. A locked counter
    matches the conflict but not the WHERE: nothing changes and no row comes back.
    """
    now = sa.bindparam("now", type_=_failures.updated_at.type)
    statement = dialect.insert(sign_in_failures).values(
        pool_id=sa.bindparam("pool_id"),
        subject=sa.bindparam("subject"),
        failures=1,
        locked_until=None,
        updated_at=now,
    )
    is_stale = _failures.updated_at <= sa.bindparam("stale_before", type_=_failures.updated_at.type)
    return statement.on_conflict_do_update(
        index_elements=[_failures.pool_id, _failures.subject],
        set_={
            "failures": sa.case((is_stale, 1), else_=_failures.failures + 1),
            "locked_until": None,
            "updated_at": now,
        },
        where=sa.or_(_failures.locked_until.is_(None), _failures.locked_until <= now),
    ).returning(_failures.failures)


# Built once: building a statement costs more than running it (like pools._GET_POOL).
_CLAIM = {"sqlite": _claim_statement(sqlite), "postgresql": _claim_statement(postgresql)}
_LOCK = (
    sign_in_failures.update()
    .where(_failures.pool_id == sa.bindparam("key_pool_id"))
    .where(_failures.subject == sa.bindparam("key_subject"))
    .values(locked_until=sa.bindparam("locked_until"))
)
_PRUNE = sign_in_failures.delete().where(_failures.updated_at <= sa.bindparam("stale_before"))
_CLEAR = sign_in_failures.delete().where(
    _failures.pool_id == sa.bindparam("pool_id"), _failures.subject == sa.bindparam("subject")
)


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
    stale_before = now - quiet_reset
    parameters = {"pool_id": pool_id, "subject": subject, "now": now, "stale_before": stale_before}
    row = (await conn.execute(_CLAIM[conn.dialect.name], parameters)).first()
    if row is None:
        return None
    count = int(row.failures)
    if count == 1:
        # A counter (re)started: when the table can grow, drop the ones that no longer mean
        # anything. The one just written has updated_at == now, so it stays.
        await conn.execute(_PRUNE, {"stale_before": stale_before})
    lockout = lockout_after(count)
    if lockout > timedelta(0):
        await conn.execute(
            _LOCK,
            {"key_pool_id": pool_id, "key_subject": subject, "locked_until": now + lockout},
        )
    return count


async def clear_failures(conn: AsyncConnection, *, pool_id: str, subject: str) -> None:
    """Forget the subject's failures: the password was right (a success resets the count)."""
    await conn.execute(_CLEAR, {"pool_id": pool_id, "subject": subject})


@dataclass
class PendingClear:
    """A counter to clear once the sign-in that proved its password ends (`clearing_failures`)."""

    pool_id: str
    subject: str
    is_done: bool = False


_pending_clear: ContextVar[PendingClear | None] = ContextVar("pending_clear", default=None)


@asynccontextmanager
async def clearing_failures(store: Store, *, pool_id: str, subject: str) -> AsyncIterator[None]:
    """Clear the subject's failures by the time the block ends, however it ends.

    A block that issues tokens (tokens/issue.py `issue_tokens`) clears them inside the refresh
    token's transaction (`pending_clear`), which spares a successful sign-in one write
    transaction; otherwise (a challenge follows, a check or trigger refuses) they are cleared
    in a transaction of their own when the block ends.
    """
    pending = PendingClear(pool_id=pool_id, subject=subject)
    token = _pending_clear.set(pending)
    try:
        yield
    finally:
        _pending_clear.reset(token)
        if not pending.is_done:
            async with store.begin() as conn:
                await clear_failures(conn, pool_id=pool_id, subject=subject)


def pending_clear() -> PendingClear | None:
    """The counter an enclosing `clearing_failures` still has to clear, if any. The caller
    clears it in its transaction and sets `is_done` once that transaction has committed."""
    pending = _pending_clear.get()
    return None if pending is None or pending.is_done else pending


async def failure_count(conn: AsyncConnection, *, pool_id: str, subject: str) -> int:
    """The subject's stored failure count (0 without a counter), for tests and diagnostics."""
    query = sa.select(_failures.failures).where(
        _failures.pool_id == pool_id, _failures.subject == subject
    )
    row = (await conn.execute(query)).first()
    return int(row.failures) if row else 0


def _spend_statement(dialect: Any) -> Any:
    statement = dialect.insert(spent_sessions).values(
        session_id=sa.bindparam("session_id"), expires_at=sa.bindparam("expires_at")
    )
    return statement.on_conflict_do_nothing(index_elements=[spent_sessions.c.session_id]).returning(
        spent_sessions.c.session_id
    )


_SPEND = {"sqlite": _spend_statement(sqlite), "postgresql": _spend_statement(postgresql)}
_PRUNE_SPENT = spent_sessions.delete().where(spent_sessions.c.expires_at < sa.bindparam("now"))


async def spend_session(
    conn: AsyncConnection, *, session_id: str, expires_at: datetime, now: datetime
) -> bool:
    """Mark a session id used; False if it already was (by this or any concurrent request).

    The id is kept until the session would have expired anyway, after which an unseal fails on
    the expiry alone, so expired ids are deleted here.
    """
    await conn.execute(_PRUNE_SPENT, {"now": now})
    parameters = {"session_id": session_id, "expires_at": expires_at}
    return (await conn.execute(_SPEND[conn.dialect.name], parameters)).first() is not None
