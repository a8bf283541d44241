"""One-time codes in the store, with an explicit clock: expiry, single use, newest only,
attempt limits and send budgets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cognate.domain.codes import Outcome
from cognate.domain.user import UserStatus
from cognate.settings import Settings
from cognate.store import codes as code_store
from cognate.store import users as user_store
from cognate.store.store import Store
from cognate.store.tables import user_pools

NOW = datetime(2025, 1, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)
PURPOSE = "SIGN_UP"


def run(test: Callable[[Store, int], Awaitable[None]], tmp_path: Path) -> None:
    async def main() -> None:
        store = Store(Settings(data_dir=tmp_path).store_url())
        await store.migrate()
        try:
            async with store.begin() as conn:
                await conn.execute(
                    user_pools.insert().values(
                        id="p", name="p", config={}, created_at=NOW, updated_at=NOW
                    )
                )
                user = await user_store.insert_user(
                    conn,
                    pool_id="p",
                    username="u",
                    key="u",
                    sub="00000000-0000-0000-0000-000000000000",
                    status=UserStatus.UNCONFIRMED,
                    attributes={},
                    password=None,
                    now=NOW,
                )
            await test(store, user.id)
        finally:
            await store.close()

    asyncio.run(main())


async def issue(store: Store, user_id: int, code_hash: str, lifetime: timedelta) -> None:
    async with store.begin() as conn:
        await code_store.issue_code(
            conn,
            user_id=user_id,
            purpose=PURPOSE,
            code_hash=code_hash,
            now=NOW,
            expires_at=NOW + lifetime,
        )


async def present(store: Store, user_id: int, code_hash: str, at: datetime) -> Outcome:
    async with store.begin() as conn:
        return await code_store.consume_code(
            conn, user_id=user_id, purpose=PURPOSE, code_hash=code_hash, now=at, max_attempts=3
        )


def test_expiry_edges(tmp_path: Path) -> None:
    async def check(store: Store, user_id: int) -> None:
        await issue(store, user_id, "h", timedelta(hours=24))
        end = NOW + timedelta(hours=24)
        assert await present(store, user_id, "h", end) is Outcome.EXPIRED
        assert await present(store, user_id, "h", end + SECOND) is Outcome.EXPIRED
        assert await present(store, user_id, "h", end - SECOND) is Outcome.ACCEPTED

    run(check, tmp_path)


def test_single_use_and_newest_only(tmp_path: Path) -> None:
    async def check(store: Store, user_id: int) -> None:
        assert await present(store, user_id, "h", NOW) is Outcome.EXPIRED  # none issued
        await issue(store, user_id, "old", timedelta(hours=1))
        await issue(store, user_id, "new", timedelta(hours=1))
        assert await present(store, user_id, "old", NOW) is Outcome.MISMATCH
        assert await present(store, user_id, "new", NOW) is Outcome.ACCEPTED
        assert await present(store, user_id, "new", NOW) is Outcome.EXPIRED

    run(check, tmp_path)


def test_attempt_limit_kills_the_code(tmp_path: Path) -> None:
    async def check(store: Store, user_id: int) -> None:
        await issue(store, user_id, "h", timedelta(hours=1))
        for _ in range(3):
            assert await present(store, user_id, "x", NOW) is Outcome.MISMATCH
        assert await present(store, user_id, "x", NOW) is Outcome.EXHAUSTED
        assert await present(store, user_id, "h", NOW) is Outcome.EXHAUSTED
        # A new code starts with a clean slate.
        await issue(store, user_id, "h2", timedelta(hours=1))
        assert await present(store, user_id, "h2", NOW) is Outcome.ACCEPTED

    run(check, tmp_path)


def test_parallel_consumers_succeed_once(tmp_path: Path) -> None:
    async def check(store: Store, user_id: int) -> None:
        await issue(store, user_id, "h", timedelta(hours=1))
        outcomes = await asyncio.gather(*(present(store, user_id, "h", NOW) for _ in range(20)))
        assert outcomes.count(Outcome.ACCEPTED) == 1
        assert set(outcomes) == {Outcome.ACCEPTED, Outcome.EXPIRED}

    run(check, tmp_path)


def test_send_budget_window(tmp_path: Path) -> None:
    async def take(store: Store, user_id: int, at: datetime) -> bool:
        async with store.begin() as conn:
            return await code_store.take_send(
                conn,
                user_id=user_id,
                budget_purpose="SENT:SIGN_UP",
                now=at,
                window=timedelta(hours=1),
                limit=2,
            )

    async def check(store: Store, user_id: int) -> None:
        assert await take(store, user_id, NOW)
        assert await take(store, user_id, NOW + SECOND)
        assert not await take(store, user_id, NOW + 2 * SECOND)
        assert await take(store, user_id, NOW + timedelta(hours=1))

    run(check, tmp_path)


def test_concurrent_uses_of_a_budget_are_each_counted(tmp_path: Path) -> None:
    """Of 20 concurrent uses, exactly `limit` are counted, whether they find no window, an
    ended one, or a running one: none is lost to a concurrent start of the window."""

    async def take(store: Store, user_id: int, at: datetime) -> bool:
        async with store.begin() as conn:
            return await code_store.take_send(
                conn, user_id=user_id, budget_purpose="CALLS:ConfirmSignUp", now=at,
                window=timedelta(hours=1), limit=7,
            )  # fmt: skip

    async def check(store: Store, user_id: int) -> None:
        for at in (NOW, NOW + timedelta(hours=1)):
            taken = await asyncio.gather(*(take(store, user_id, at) for _ in range(20)))
            assert taken.count(True) == 7

    run(check, tmp_path)
