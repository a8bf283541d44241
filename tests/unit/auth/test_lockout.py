"""Cognito's lockout schedule (pure) and the atomic failure counter behind it (store)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognate.auth import lockout
from cognate.settings import Settings
from cognate.store import sign_in as sign_in_store
from cognate.store.sign_in import Claim
from cognate.store.store import Store
from tests.databases import temporary_database

NOW = datetime(2025, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_schedule_starts_at_five_and_doubles():
    assert [lockout.lockout_after(n) for n in range(5)] == [timedelta(0)] * 5
    assert [lockout.lockout_after(n).total_seconds() for n in range(5, 15)] == [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
    ]  # fmt: skip


@given(st.integers(min_value=15, max_value=10**9))
def test_schedule_is_capped_at_about_fifteen_minutes(failures):
    assert lockout.lockout_after(failures) == lockout.LONGEST_LOCKOUT == timedelta(minutes=15)


@given(st.integers(min_value=0, max_value=10**6))
def test_schedule_never_shrinks_and_quiet_reset_outlasts_it(failures):
    assert lockout.lockout_after(failures) <= lockout.lockout_after(failures + 1)
    assert lockout.lockout_after(failures) <= lockout.QUIET_RESET


def test_locked_out_error_has_cognitos_text():
    assert lockout.locked_out().message == "Password attempts exceeded"
    assert lockout.locked_out().name == "NotAuthorizedException"


# The counter in the store, on SQLite (and PostgreSQL when COGNATE_TEST_DATABASE_URL is set).


def run(test: Callable[[Store], Awaitable[None]], tmp_path: Path) -> None:
    base = os.environ.get("COGNATE_TEST_DATABASE_URL")

    async def main(url: str | None) -> None:
        store = Store(Settings(data_dir=tmp_path, database_url=url).store_url())
        await store.migrate()
        try:
            await test(store)
        finally:
            await store.close()

    if base:
        with temporary_database(base) as url:
            asyncio.run(main(url))
    else:
        asyncio.run(main(None))


async def claim(store: Store, now: datetime, subject: str = "42") -> Claim:
    async with store.begin() as conn:
        return await sign_in_store.claim_attempt(
            conn,
            pool_id="p",
            subject=subject,
            now=now,
            threshold=lockout.THRESHOLD,
            quiet_reset=lockout.QUIET_RESET,
            abandoned_after=lockout.ABANDONED_AFTER,
        )


async def fail(
    store: Store,
    now: datetime,
    subject: str = "42",
    schedule: Callable[[int], timedelta] = lockout.lockout_after,
) -> int:
    async with store.begin() as conn:
        return await sign_in_store.record_failure(
            conn, pool_id="p", subject=subject, now=now, lockout_after=schedule
        )


async def wrong(store: Store, now: datetime, subject: str = "42") -> int | Claim:
    """One attempt with a wrong password: the new failure count, or why it was refused."""
    claimed = await claim(store, now, subject)
    return await fail(store, now, subject) if claimed is Claim.CLAIMED else claimed


async def count(store: Store, subject: str = "42") -> int:
    async with store.read() as conn:
        return await sign_in_store.failure_count(conn, pool_id="p", subject=subject)


def test_fifth_failure_locks_for_one_second_then_doubling(tmp_path):
    async def test(store: Store) -> None:
        assert [await wrong(store, NOW) for _ in range(5)] == [1, 2, 3, 4, 5]
        # Attempts while locked are refused and change nothing (B16).
        assert await wrong(store, NOW + SECOND / 2) is Claim.LOCKED
        assert await count(store) == 5
        assert await wrong(store, NOW + SECOND) == 6  # locked for 2 s from here
        assert await wrong(store, NOW + 2 * SECOND) is Claim.LOCKED
        assert await wrong(store, NOW + 3 * SECOND) == 7

    run(test, tmp_path)


def test_success_and_quiet_period_reset_the_count(tmp_path):
    async def test(store: Store) -> None:
        for _ in range(4):
            await wrong(store, NOW)
        assert await claim(store, NOW) is Claim.CLAIMED
        async with store.begin() as conn:
            await sign_in_store.clear_failures(conn, pool_id="p", subject="42")
        assert await count(store) == 0
        assert await wrong(store, NOW) == 1
        assert await wrong(store, NOW + lockout.QUIET_RESET) == 1

    run(test, tmp_path)


def test_stale_counters_are_pruned_when_a_new_one_starts(tmp_path):
    async def test(store: Store) -> None:
        for index in range(20):
            await wrong(store, NOW, subject=f"unknown-{index}")
        await wrong(store, NOW + lockout.QUIET_RESET, subject="fresh")
        assert [await count(store, f"unknown-{index}") for index in range(20)] == [0] * 20
        assert await count(store, "fresh") == 1

    run(test, tmp_path)


def test_fifty_concurrent_failures_are_each_counted_once(tmp_path):
    """No lost updates: with locking disabled, 50 racing failures leave exactly 50."""

    async def test(store: Store) -> None:
        never = lambda _n: timedelta(0)  # noqa: E731
        results = await asyncio.gather(*(fail(store, NOW, schedule=never) for _ in range(50)))
        assert sorted(results) == list(range(1, 51))
        assert await count(store) == 50

    run(test, tmp_path)


def test_no_more_claims_in_flight_than_failures_left_before_the_lock(tmp_path):
    """security-test-plan.md B20: at most five password checks before the lock engages."""

    async def test(store: Store) -> None:
        results = await asyncio.gather(*(claim(store, NOW) for _ in range(50)))
        assert results.count(Claim.CLAIMED) == 5
        assert results.count(Claim.BUSY) == 45  # not locked: nothing has failed yet
        assert await fail(store, NOW) == 1
        # One verdict in frees one place only while failures + in flight stay under five.
        assert await claim(store, NOW) is Claim.BUSY
        for expected in (2, 3, 4, 5):
            assert await fail(store, NOW) == expected
        assert await claim(store, NOW) is Claim.LOCKED
        # After a lockout, one attempt at a time.
        assert await claim(store, NOW + SECOND) is Claim.CLAIMED
        assert await claim(store, NOW + SECOND) is Claim.BUSY

    run(test, tmp_path)


def test_a_success_clears_the_attempts_in_flight_too(tmp_path):
    async def test(store: Store) -> None:
        assert [await claim(store, NOW) for _ in range(5)] == [Claim.CLAIMED] * 5
        async with store.begin() as conn:
            await sign_in_store.clear_failures(conn, pool_id="p", subject="42")
        assert await claim(store, NOW) is Claim.CLAIMED
        # A verdict arriving after the counter was cleared starts it again.
        assert await fail(store, NOW) == 1

    run(test, tmp_path)


def test_attempts_abandoned_in_flight_stop_counting(tmp_path):
    async def test(store: Store) -> None:
        for _ in range(5):
            await claim(store, NOW)
        assert await claim(store, NOW + lockout.ABANDONED_AFTER / 2) is Claim.BUSY
        assert await claim(store, NOW + lockout.ABANDONED_AFTER) is Claim.CLAIMED
        assert await claim(store, NOW + lockout.ABANDONED_AFTER) is Claim.CLAIMED

    run(test, tmp_path)


@pytest.mark.parametrize("fresh", [True, False])
def test_spent_session_is_refused_the_second_time(tmp_path, fresh):
    async def test(store: Store) -> None:
        expires = NOW + timedelta(minutes=3)
        async with store.begin() as conn:
            assert await sign_in_store.spend_session(
                conn, session_id="s1", expires_at=expires, now=NOW
            )
        later = NOW + SECOND if fresh else expires + SECOND
        async with store.begin() as conn:
            spent_again = await sign_in_store.spend_session(
                conn, session_id="s1", expires_at=expires, now=later
            )
        # After expiry the id is pruned (the unseal refuses the session on its expiry alone).
        assert spent_again is (not fresh)

    run(test, tmp_path)
