"""Queries on token signing keys and refresh tokens.

Refresh tokens are stored only as a keyed hash (SecretBox.keyed_hash); single use under rotation
is enforced here by a conditional UPDATE whose row count says who won (DESIGN §0), never by
process memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.store.prepared import Prepared
from cognate.store.tables import (
    groups,
    refresh_tokens,
    signing_keys,
    user_groups,
    user_pools,
    users,
)
from cognate.store.users import user_from_row

TOKEN_PURPOSES = ("id", "access")


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredKey:
    """A signing key row; `private_key` is still encrypted."""

    kid: str
    pool_id: str
    purpose: str
    private_key: bytes
    created_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RefreshRecord:
    """A stored refresh token (its hash, never the token)."""

    id: int
    pool_id: str
    client_id: str
    user_id: int
    origin_jti: str
    device_key: str | None
    scopes: tuple[str, ...]
    auth_time: datetime
    expires_at: datetime
    revoked_at: datetime | None
    rotated_at: datetime | None


def _key(row: sa.Row[Any]) -> StoredKey:
    return StoredKey(
        kid=row.kid,
        pool_id=row.pool_id,
        purpose=row.purpose,
        private_key=row.private_key,
        created_at=row.created_at,
        retired_at=row.retired_at,
    )


async def token_keys(
    conn: AsyncConnection, pool_id: str, *, retired_after: datetime | None = None
) -> list[StoredKey]:
    """The pool's ID and access token keys: unretired ones, plus those retired after
    `retired_after` when given; oldest first (ties broken by kid, so every process agrees)."""
    live: sa.ColumnElement[bool] = signing_keys.c.retired_at.is_(None)
    if retired_after is not None:
        live = sa.or_(live, signing_keys.c.retired_at > retired_after)
    query = (
        signing_keys.select()
        .where(
            signing_keys.c.pool_id == pool_id,
            signing_keys.c.purpose.in_(TOKEN_PURPOSES),
            live,
        )
        .order_by(signing_keys.c.created_at, signing_keys.c.kid)
    )
    return [_key(row) for row in await conn.execute(query)]


async def delete_key(conn: AsyncConnection, kid: str) -> None:
    """Remove a key that never signed anything (the loser of a creation race)."""
    await conn.execute(signing_keys.delete().where(signing_keys.c.kid == kid))


async def retire_keys(conn: AsyncConnection, pool_id: str, now: datetime) -> int:
    """Retire the pool's current ID and access token keys; returns how many were retired."""
    result = await conn.execute(
        signing_keys.update()
        .where(
            signing_keys.c.pool_id == pool_id,
            signing_keys.c.purpose.in_(TOKEN_PURPOSES),
            signing_keys.c.retired_at.is_(None),
        )
        .values(retired_at=now)
    )
    return int(result.rowcount)


def _refresh(row: Any) -> RefreshRecord:
    return RefreshRecord(
        id=row.rt_id,
        pool_id=row.rt_pool_id,
        client_id=row.rt_client_id,
        user_id=row.rt_user_id,
        origin_jti=row.rt_origin_jti,
        device_key=row.rt_device_key,
        scopes=tuple(row.rt_scopes),
        auth_time=row.rt_auth_time,
        expires_at=row.rt_expires_at,
        revoked_at=row.rt_revoked_at,
        rotated_at=row.rt_rotated_at,
    )


_REFRESH_COLUMNS = [column.label(f"rt_{column.name}") for column in refresh_tokens.c]


_NEW_REFRESH_TOKEN_COLUMNS = (
    "token_hash", "pool_id", "client_id", "user_id", "origin_jti", "device_key", "scopes",
    "auth_time", "created_at", "expires_at",
)  # fmt: skip
_INSERT_REFRESH_TOKEN = Prepared(
    refresh_tokens.insert().values(
        {name: sa.bindparam(name) for name in _NEW_REFRESH_TOKEN_COLUMNS}
    )
)


async def insert_refresh_token(
    conn: AsyncConnection,
    *,
    token_hash: str,
    pool_id: str,
    client_id: str,
    user_id: int,
    origin_jti: str,
    device_key: str | None,
    scopes: Sequence[str],
    auth_time: datetime,
    expires_at: datetime,
    now: datetime,
) -> None:
    """Store a new refresh token by its hash."""
    parameters = {
        "token_hash": token_hash,
        "pool_id": pool_id,
        "client_id": client_id,
        "user_id": user_id,
        "origin_jti": origin_jti,
        "device_key": device_key,
        "scopes": list(scopes),
        "auth_time": auth_time,
        "created_at": now,
        "expires_at": expires_at,
    }
    await _INSERT_REFRESH_TOKEN.run(conn, parameters)


# Built once (like pools._GET_POOL): building a statement costs more than running it.
_FIND_REFRESH_TOKEN = (
    sa.select(users, *_REFRESH_COLUMNS)
    .join(refresh_tokens, refresh_tokens.c.user_id == users.c.id)
    .where(refresh_tokens.c.token_hash == sa.bindparam("token_hash"))
)


async def find_refresh_token(
    conn: AsyncConnection, token_hash: str
) -> tuple[RefreshRecord, User] | None:
    """The refresh token with hash `token_hash` and its user, in one query; None if unknown
    (tokens of deleted users are gone with them: ON DELETE CASCADE)."""
    row = (await conn.execute(_FIND_REFRESH_TOKEN, {"token_hash": token_hash})).first()
    return (_refresh(row), user_from_row(row)) if row else None


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupRow:
    """What a token's cognito:groups claims need of one group of the user."""

    name: str
    role_arn: str | None
    precedence: int | None


_GROUP_COLUMNS = [
    groups.c.name.label("g_name"),
    groups.c.role_arn.label("g_role_arn"),
    groups.c.precedence.label("g_precedence"),
]
# The refresh token, its user and the user's groups in one statement: one row per group (or
# one row with NULL group columns), groups ordered by name like groups.groups_of_user.
_FIND_REFRESH_TOKEN_WITH_GROUPS = Prepared(
    sa.select(users, *_REFRESH_COLUMNS, *_GROUP_COLUMNS)
    .select_from(refresh_tokens)
    .join(users, refresh_tokens.c.user_id == users.c.id)
    .outerjoin(
        user_groups,
        sa.and_(user_groups.c.user_id == users.c.id, user_groups.c.pool_id == users.c.pool_id),
    )
    .outerjoin(
        groups,
        sa.and_(
            groups.c.pool_id == user_groups.c.pool_id, groups.c.name == user_groups.c.group_name
        ),
    )
    .where(refresh_tokens.c.token_hash == sa.bindparam("token_hash"))
    .order_by(groups.c.name)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)


async def find_refresh_token_with_groups(
    conn: AsyncConnection, token_hash: str, *, max_groups: int
) -> tuple[tuple[RefreshRecord, User] | None, list[GroupRow]]:
    """`find_refresh_token`, plus up to `max_groups` of the user's groups ordered by name, in
    one query (the REFRESH_TOKEN_AUTH hot path)."""
    parameters = {"token_hash": token_hash, "limit": max_groups}
    rows = await _FIND_REFRESH_TOKEN_WITH_GROUPS.all(conn, parameters)
    if not rows:
        return None, []
    found = [
        GroupRow(name=row.g_name, role_arn=row.g_role_arn, precedence=row.g_precedence)
        for row in rows
        if row.g_name is not None
    ]
    return (_refresh(rows[0]), user_from_row(rows[0])), found


async def mark_rotated(conn: AsyncConnection, record_id: int, now: datetime) -> bool:
    """Mark a refresh token as exchanged; True only for the one caller that did it first."""
    result = await conn.execute(
        refresh_tokens.update()
        .where(
            refresh_tokens.c.id == record_id,
            refresh_tokens.c.rotated_at.is_(None),
            refresh_tokens.c.revoked_at.is_(None),
        )
        .values(rotated_at=now)
    )
    return bool(result.rowcount == 1)


async def revoke_refresh_token(conn: AsyncConnection, record_id: int, now: datetime) -> None:
    """Revoke one refresh token (and so every token carrying its origin_jti)."""
    await conn.execute(
        refresh_tokens.update()
        .where(refresh_tokens.c.id == record_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def sign_out_user(conn: AsyncConnection, user_id: int, *, now: datetime) -> None:
    """GlobalSignOut: revoke every refresh token of the user and refuse access tokens issued
    before `now` (stored to the whole second: see tokens.access.authenticate_access_token)."""
    await conn.execute(
        refresh_tokens.update()
        .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await conn.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(tokens_valid_after=now.replace(microsecond=0))
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenSubject:
    """What checking an access token needs from the store: its user, pool, and whether the
    refresh token it descends from (origin_jti) was revoked."""

    pool: Pool
    user: User
    is_origin_revoked: bool


_POOL_COLUMNS = [column.label(f"up_{column.name}") for column in user_pools.c]
_SUBJECT_FROM = users.join(user_pools, user_pools.c.id == users.c.pool_id)
_SUBJECT_WHERE = (users.c.pool_id == sa.bindparam("pool_id"), users.c.sub == sa.bindparam("sub"))
# Built once (the GetUser hot path): the user by its (pool_id, sub) unique index, its pool by
# primary key, and whether the origin refresh token (unique origin_jti) was revoked.
_TOKEN_SUBJECT = Prepared(
    sa.select(
        users,
        *_POOL_COLUMNS,
        sa.exists()
        .where(
            refresh_tokens.c.origin_jti == sa.bindparam("origin_jti"),
            refresh_tokens.c.revoked_at.is_not(None),
        )
        .label("is_origin_revoked"),
    )
    .select_from(_SUBJECT_FROM)
    .where(*_SUBJECT_WHERE)
)
_TOKEN_SUBJECT_WITHOUT_ORIGIN = Prepared(
    sa.select(users, *_POOL_COLUMNS, sa.false().label("is_origin_revoked"))
    .select_from(_SUBJECT_FROM)
    .where(*_SUBJECT_WHERE)
)


async def token_subject(
    conn: AsyncConnection, pool_id: str, sub: str, origin_jti: str | None
) -> TokenSubject | None:
    """The user `sub` of pool `pool_id` with its pool and origin's revocation, in one indexed
    query (the GetUser hot path); None if the user no longer exists."""
    if origin_jti:
        parameters = {"pool_id": pool_id, "sub": sub, "origin_jti": origin_jti}
        row = await _TOKEN_SUBJECT.first(conn, parameters)
    else:
        parameters = {"pool_id": pool_id, "sub": sub}
        row = await _TOKEN_SUBJECT_WITHOUT_ORIGIN.first(conn, parameters)
    if row is None:
        return None
    pool = Pool(
        id=row.up_id,
        name=row.up_name,
        config=row.up_config,
        created_at=row.up_created_at,
        updated_at=row.up_updated_at,
    )
    return TokenSubject(
        pool=pool, user=user_from_row(row), is_origin_revoked=bool(row.is_origin_revoked)
    )
