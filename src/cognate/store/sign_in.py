"""Sign-in state that must hold across processes: failure counters and spent sessions.

Both guarantees come from the database, never from process memory (DESIGN §0), so any number
of servers sharing one database agree:

* a failure counter changes only through single conditional statements (INSERT .. ON CONFLICT
  DO UPDATE .. WHERE not locked), never read-modify-write, so concurrent attempts are each
  counted exactly once: an attempt is first claimed as in flight (`in_flight + 1`), then turned
  into a failure (`failures + 1`) or cleared with the whole counter when it succeeds;
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
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.prepared import Prepared
from cognate.store.store import Store
from cognate.store.tables import sign_in_failures, spent_sessions

_failures = sign_in_failures.c


class Claim(Enum):
    """What `claim_attempt` made of an attempt."""

    CLAIMED = "claimed"
    """Counted as in flight: check the password, then `record_failure` or `clear_failures`."""
    LOCKED = "locked"
    """The subject is locked out: refuse the attempt."""
    BUSY = "busy"
    """Not locked, but enough attempts are in flight that a verdict of theirs could lock it:
    try again once they end (never answered as a lockout a correct password did not earn)."""


def _claim_statement(dialect: Any) -> Any:
    """INSERT a counter with one attempt in flight, or add one to an existing counter unless it
    is locked or already has its share of attempts in flight.

    One statement (INSERT .. ON CONFLICT DO UPDATE .. WHERE .. RETURNING), so concurrent
    attempts are each counted exactly once, with no read before the write. A refused claim
    matches the conflict but not the WHERE: nothing changes and no row comes back. At most
    `threshold - failures` attempts (and always at least one) are in flight at a time, so
    however many race, no more are checked than could be wrong before the lock engages.
    """
    now = sa.bindparam("now", type_=_failures.updated_at.type)
    statement = dialect.insert(sign_in_failures).values(
        pool_id=sa.bindparam("pool_id"),
        subject=sa.bindparam("subject"),
        failures=0,
        in_flight=1,
        locked_until=None,
        updated_at=now,
    )
    is_stale = _failures.updated_at <= sa.bindparam("stale_before", type_=_failures.updated_at.type)
    is_abandoned = _failures.updated_at <= sa.bindparam(
        "abandoned_before", type_=_failures.updated_at.type
    )
    failures = sa.case((is_stale, 0), else_=_failures.failures)
    in_flight = sa.case((is_abandoned, 0), else_=_failures.in_flight)
    threshold = sa.bindparam("threshold", type_=sa.Integer)
    return statement.on_conflict_do_update(
        index_elements=[_failures.pool_id, _failures.subject],
        set_={"failures": failures, "in_flight": in_flight + 1, "updated_at": now},
        where=sa.and_(
            sa.or_(_failures.locked_until.is_(None), _failures.locked_until <= now),
            sa.or_(in_flight == 0, in_flight + failures < threshold),
        ),
    ).returning(_failures.failures)


def _failure_statement(dialect: Any) -> Any:
    """Turn one attempt in flight into a failure (the counter may have been cleared meanwhile
    by a concurrent success: then it starts again at one)."""
    now = sa.bindparam("now", type_=_failures.updated_at.type)
    statement = dialect.insert(sign_in_failures).values(
        pool_id=sa.bindparam("pool_id"),
        subject=sa.bindparam("subject"),
        failures=1,
        in_flight=0,
        locked_until=None,
        updated_at=now,
    )
    return statement.on_conflict_do_update(
        index_elements=[_failures.pool_id, _failures.subject],
        set_={
            "failures": _failures.failures + 1,
            "in_flight": sa.case((_failures.in_flight > 0, _failures.in_flight - 1), else_=0),
            "updated_at": now,
        },
    ).returning(_failures.failures)


# Built once, and run prepared (store/prepared.py): a sign-in claims and clears a counter.
_CLAIM = {
    dialect.dialect.name: Prepared(_claim_statement(dialect)) for dialect in (sqlite, postgresql)
}
_FAIL = {"sqlite": _failure_statement(sqlite), "postgresql": _failure_statement(postgresql)}
_KEY = sa.and_(
    _failures.pool_id == sa.bindparam("key_pool_id"),
    _failures.subject == sa.bindparam("key_subject"),
)
_LOCK = sign_in_failures.update().where(_KEY).values(locked_until=sa.bindparam("locked_until"))
_LOCKED_UNTIL = sa.select(_failures.locked_until).where(_KEY)
_PRUNE = Prepared(
    sign_in_failures.delete().where(
        _failures.updated_at <= sa.bindparam("stale_before", type_=_failures.updated_at.type)
    )
)
_CLEAR = Prepared(
    sign_in_failures.delete().where(
        _failures.pool_id == sa.bindparam("pool_id"), _failures.subject == sa.bindparam("subject")
    )
)


async def claim_attempt(
    conn: AsyncConnection,
    *,
    pool_id: str,
    subject: str,
    now: datetime,
    threshold: int,
    quiet_reset: timedelta,
    abandoned_after: timedelta,
) -> Claim:
    """Count one sign-in attempt as in flight, unless the subject is locked out or busy.

    A counter untouched for `quiet_reset` starts again from zero failures; attempts still in
    flight after `abandoned_after` are taken to have died with their process. Every CLAIMED
    attempt must end in `record_failure` or `clear_failures`.
    """
    stale_before = now - quiet_reset
    parameters = {
        "pool_id": pool_id,
        "subject": subject,
        "now": now,
        "stale_before": stale_before,
        "abandoned_before": now - abandoned_after,
        "threshold": threshold,
    }
    row = await _CLAIM[conn.dialect.name].first(conn, parameters)
    if row is not None:
        if int(row.failures) == 0:
            # A counter (re)started: when the table can grow, drop the ones that no longer
            # mean anything. The one just written has updated_at == now, so it stays.
            await _PRUNE.run(conn, {"stale_before": stale_before})
        return Claim.CLAIMED
    key = {"key_pool_id": pool_id, "key_subject": subject}
    locked_until = (await conn.execute(_LOCKED_UNTIL, key)).scalar()
    return Claim.LOCKED if locked_until is not None and locked_until > now else Claim.BUSY


async def record_failure(
    conn: AsyncConnection,
    *,
    pool_id: str,
    subject: str,
    now: datetime,
    lockout_after: Callable[[int], timedelta],
) -> int:
    """A claimed attempt failed: count it, and lock the subject if the new count calls for it
    (`lockout_after(count)` > 0, starting now). Returns the new count."""
    parameters = {"pool_id": pool_id, "subject": subject, "now": now}
    count = int((await conn.execute(_FAIL[conn.dialect.name], parameters)).scalar_one())
    lockout = lockout_after(count)
    if lockout > timedelta(0):
        await conn.execute(
            _LOCK,
            {"key_pool_id": pool_id, "key_subject": subject, "locked_until": now + lockout},
        )
    return count


async def clear_failures(conn: AsyncConnection, *, pool_id: str, subject: str) -> None:
    """Forget the subject's failures: the password was right (a success resets the count)."""
    await _CLEAR.run(conn, {"pool_id": pool_id, "subject": subject})


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
