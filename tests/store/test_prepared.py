"""store/prepared.py against SQLAlchemy itself: every hot statement returns the same rows, with
the same names, values and types (aware datetimes, decoded JSON, booleans), on SQLite and, with
COGNATE_TEST_DATABASE_URL, on PostgreSQL; writes take part in the open transaction."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cognate.domain.user import UserStatus
from cognate.settings import Settings
from cognate.store import clients, sign_in, tokens, users
from cognate.store import groups as groups_store
from cognate.store.dialects import is_unique_violation
from cognate.store.prepared import Prepared
from cognate.store.store import Store
from cognate.store.tables import (
    aliases,
    groups,
    refresh_tokens,
    sign_in_failures,
    user_groups,
    user_pool_clients,
    user_pools,
)

NOW = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


def run(tmp_path: Path, database_url: str | None, test: Callable[[Store], Awaitable[None]]) -> None:
    async def main() -> None:
        store = Store(Settings(data_dir=tmp_path, database_url=database_url).store_url())
        await store.migrate()
        try:
            await test(store)
        finally:
            await store.close()

    asyncio.run(main())


async def seed(store: Store) -> dict[str, Any]:
    """A pool, client, user with aliases, two groups and a refresh token; their keys."""
    pool_id = f"us-east-1_{uuid.uuid4().hex[:9]}"
    client_id = uuid.uuid4().hex[:26]
    async with store.begin() as conn:
        await conn.execute(
            user_pools.insert().values(
                id=pool_id, name="p", config={"MfaConfiguration": "OFF", "n": [1, 2.5, None]},
                created_at=NOW, updated_at=NOW,
            )
        )  # fmt: skip
        await conn.execute(
            user_pool_clients.insert().values(
                id=client_id, pool_id=pool_id, name="c", config={"ExplicitAuthFlows": []},
                created_at=NOW, updated_at=NOW + timedelta(seconds=1),
            )
        )  # fmt: skip
        user = await users.insert_user(
            conn, pool_id=pool_id, username="Zoë", key="zoë", sub=str(uuid.uuid4()),
            status=UserStatus.CONFIRMED, password=b"\x00\x01sealed", now=NOW,
            attributes={"email": "z@example.com", "name": "Zoë 😀"},
        )  # fmt: skip
        await conn.execute(
            aliases.insert().values(
                pool_id=pool_id, kind="email", value_key="z@example.com", user_id=user.id
            )
        )
        for name, precedence in (("b-group", None), ("a-group", 3)):
            await conn.execute(
                groups.insert().values(
                    pool_id=pool_id, name=name, description=None, role_arn=None,
                    precedence=precedence, created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip
            await conn.execute(
                user_groups.insert().values(pool_id=pool_id, group_name=name, user_id=user.id)
            )
        origin_jti = str(uuid.uuid4())
        await tokens.insert_refresh_token(
            conn, token_hash=uuid.uuid4().hex, pool_id=pool_id, client_id=client_id,
            user_id=user.id, origin_jti=origin_jti, device_key=None, scopes=["openid", "email"],
            auth_time=NOW, expires_at=NOW + timedelta(days=30), now=NOW,
        )  # fmt: skip
        token_hash = (
            await conn.execute(
                sa.select(refresh_tokens.c.token_hash).where(
                    refresh_tokens.c.origin_jti == origin_jti
                )
            )
        ).scalar_one()
    return {
        "pool_id": pool_id, "client_id": client_id, "user": user, "origin_jti": origin_jti,
        "token_hash": token_hash,
    }  # fmt: skip


async def same_rows(store: Store, prepared: Prepared, parameters: dict[str, Any]) -> int:
    """Assert the prepared rows equal SQLAlchemy's; the number of rows."""
    async with store.read() as conn:
        expected = (await conn.execute(prepared.statement, parameters)).all()
        got = await prepared.all(conn, parameters)
        first = await prepared.first(conn, parameters)
    assert len(got) == len(expected)
    for row, reference in zip(got, expected, strict=True):
        assert tuple(row._fields) == tuple(reference._fields)
        assert tuple(row) == tuple(reference)
        assert [type(value) for value in row] == [type(value) for value in reference]
    assert (first is None) == (not expected)
    if first is not None:
        assert tuple(first) == tuple(expected[0])
    return len(expected)


def test_reads_match_sqlalchemy(tmp_path: Path, database_url: str | None) -> None:
    async def test(store: Store) -> None:
        seeded = await seed(store)
        pool_id, user = seeded["pool_id"], seeded["user"]
        cases: list[tuple[Prepared, dict[str, Any], int]] = [
            (clients._GET_CLIENT_WITH_POOL, {"client_id": seeded["client_id"]}, 1),
            (clients._GET_CLIENT_WITH_POOL, {"client_id": "nobody"}, 0),
            (users._GET_USER, {"pool_id": pool_id, "key": "zoë"}, 1),
            (users._alias_query(("email", "phone_number")),
             {"pool_id": pool_id, "key_email": "z@example.com", "key_phone_number": "+1"}, 1),
            (tokens._TOKEN_SUBJECT,
             {"pool_id": pool_id, "sub": user.sub, "origin_jti": seeded["origin_jti"]}, 1),
            (tokens._TOKEN_SUBJECT_WITHOUT_ORIGIN, {"pool_id": pool_id, "sub": user.sub}, 1),
            (tokens._FIND_REFRESH_TOKEN_WITH_GROUPS,
             {"token_hash": seeded["token_hash"], "limit": 1000}, 2),
            (tokens._FIND_REFRESH_TOKEN_WITH_GROUPS,
             {"token_hash": seeded["token_hash"], "limit": 1}, 1),
            (groups_store._FIRST_USER_GROUPS,
             {"pool_id": pool_id, "user_id": user.id, "limit": 1000}, 2),
        ]  # fmt: skip
        for prepared, parameters, count in cases:
            assert await same_rows(store, prepared, parameters) == count

    run(tmp_path, database_url, test)


def test_writes_join_the_open_transaction(tmp_path: Path, database_url: str | None) -> None:
    async def claim(store: Store, pool_id: str, now: datetime) -> sign_in.Claim:
        async with store.begin() as conn:
            return await sign_in.claim_attempt(
                conn, pool_id=pool_id, subject="s", now=now, threshold=5,
                quiet_reset=timedelta(minutes=15), abandoned_after=timedelta(minutes=1),
            )  # fmt: skip

    async def stored(store: Store, pool_id: str) -> tuple[Any, ...] | None:
        query = sa.select(
            sign_in_failures.c.failures, sign_in_failures.c.in_flight, sign_in_failures.c.updated_at
        ).where(sign_in_failures.c.pool_id == pool_id)
        async with store.read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else tuple(row)

    async def test(store: Store) -> None:
        pool_id = (await seed(store))["pool_id"]
        assert await claim(store, pool_id, NOW) is sign_in.Claim.CLAIMED
        assert await claim(store, pool_id, NOW + timedelta(seconds=1)) is sign_in.Claim.CLAIMED
        assert await stored(store, pool_id) == (0, 2, NOW + timedelta(seconds=1))
        with pytest.raises(RuntimeError):
            async with store.begin() as conn:
                await sign_in.clear_failures(conn, pool_id=pool_id, subject="s")
                raise RuntimeError("rolled back")
        assert await stored(store, pool_id) == (0, 2, NOW + timedelta(seconds=1))
        async with store.begin() as conn:
            await sign_in.clear_failures(conn, pool_id=pool_id, subject="s")
        assert await stored(store, pool_id) is None

    run(tmp_path, database_url, test)


def test_statements_it_cannot_run_are_refused_when_first_used(tmp_path: Path) -> None:
    expanding = Prepared(
        sa.select(user_pools.c.id).where(user_pools.c.id.in_(sa.bindparam("ids", expanding=True)))
    )
    unnamed = Prepared(sa.select(sa.literal(1).label("not a name")))

    async def test(store: Store) -> None:
        async with store.read() as conn:
            with pytest.raises(ValueError, match="positional"):
                await expanding.all(conn, {"ids": ["a"]})
            with pytest.raises(ValueError, match="identifiers"):
                await unnamed.all(conn, {})

    run(tmp_path, None, test)


def test_driver_errors_arrive_as_sqlalchemy_raises_them(tmp_path: Path) -> None:
    async def test(store: Store) -> None:
        seeded = await seed(store)
        parameters = {
            "token_hash": seeded["token_hash"], "pool_id": seeded["pool_id"],
            "client_id": seeded["client_id"], "user_id": seeded["user"].id,
            "origin_jti": str(uuid.uuid4()), "device_key": None, "scopes": [],
            "auth_time": NOW, "created_at": NOW, "expires_at": NOW,
        }  # fmt: skip
        with pytest.raises(sa.exc.IntegrityError) as caught:
            async with store.begin() as conn:
                await tokens._INSERT_REFRESH_TOKEN.run(conn, parameters)
        assert is_unique_violation(caught.value)

    run(tmp_path, None, test)
