"""Queries on users, their indexed attributes and their sign-in aliases."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.user import FILTERABLE_ATTRIBUTES, User, UserStatus
from cognate.errors import AliasExistsException, UsernameExistsException
from cognate.store.dialects import is_unique_violation
from cognate.store.prepared import Prepared
from cognate.store.tables import aliases, password_history, user_attributes, users

_INDEXED_LENGTH = 512


def user_from_row(row: Any) -> User:
    """The User of a row of `users` (SQLAlchemy's or store/prepared.py's)."""
    return User(
        id=row.id,
        pool_id=row.pool_id,
        username=row.username,
        sub=row.sub,
        status=UserStatus(row.status),
        is_enabled=row.enabled,
        attributes=row.attributes,
        password=row.password,
        password_set_at=row.password_set_at,
        mfa=row.mfa,
        created_at=row.created_at,
        updated_at=row.updated_at,
        tokens_valid_after=row.tokens_valid_after,
    )


# Built once: the user lookup is on nearly every request's path.
_GET_USER = Prepared(
    users.select().where(
        users.c.pool_id == sa.bindparam("pool_id"), users.c.username_key == sa.bindparam("key")
    )
)


async def get_user(conn: AsyncConnection, pool_id: str, key: str) -> User | None:
    """The user whose username key (see domain.user.username_key) is `key`, or None."""
    row = await _GET_USER.first(conn, {"pool_id": pool_id, "key": key})
    return user_from_row(row) if row else None


async def get_user_by_sub(conn: AsyncConnection, pool_id: str, sub: str) -> User | None:
    """The user with `sub`, or None."""
    query = users.select().where(users.c.pool_id == pool_id, users.c.sub == sub)
    row = (await conn.execute(query)).first()
    return user_from_row(row) if row else None


async def get_user_by_alias(
    conn: AsyncConnection, pool_id: str, kind: str, value_key: str
) -> User | None:
    """The user holding alias `kind` = `value_key` (email, phone_number, preferred_username)."""
    query = (
        users.select()
        .join(aliases, aliases.c.user_id == users.c.id)
        .where(
            aliases.c.pool_id == pool_id,
            aliases.c.kind == kind,
            aliases.c.value_key == value_key,
        )
    )
    row = (await conn.execute(query)).first()
    return user_from_row(row) if row else None


async def insert_user(
    conn: AsyncConnection,
    *,
    pool_id: str,
    username: str,
    key: str,
    sub: str,
    status: UserStatus,
    attributes: Mapping[str, str],
    password: bytes | None,
    now: datetime,
) -> User:
    """Store a new user and index its filterable attributes.

    Raises UsernameExistsException if the username key is taken in the pool.
    """
    values = {
        "pool_id": pool_id,
        "username": username,
        "username_key": key,
        "sub": sub,
        "status": status.value,
        "enabled": True,
        "attributes": dict(attributes),
        "password": password,
        "password_set_at": now if password else None,
        "mfa": {},
        "created_at": now,
        "updated_at": now,
    }
    try:
        async with _savepoint(conn):
            row = (await conn.execute(_INSERT_USER, values)).one()
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            raise UsernameExistsException("User account already exists") from exc
        raise
    user_id = int(row.id)
    # A new id has no indexed rows yet: insert them without index_attributes' DELETE.
    await _insert_attribute_rows(conn, pool_id, user_id, attributes)
    return user_from_row(row)


# Built once; RETURNING hands back the stored row (defaults included) in the same statement.
_INSERT_USER = users.insert().returning(*users.c)


@asynccontextmanager
async def _savepoint(conn: AsyncConnection) -> AsyncIterator[None]:
    """A SAVEPOINT around a statement that may break a unique constraint, so that the caller's
    transaction survives it on PostgreSQL. SQLite needs none: a failed statement's changes are
    backed out and the transaction stays usable (sqlite.org/lang_conflict.html, ABORT), and
    skipping SAVEPOINT/RELEASE saves two trips to the driver thread."""
    if conn.dialect.name == "sqlite":
        yield
        return
    async with conn.begin_nested():
        yield


async def index_attributes(
    conn: AsyncConnection, pool_id: str, user_id: int, attributes: Mapping[str, str]
) -> None:
    """Rewrite the indexed copies of the user's filterable attributes."""
    await conn.execute(user_attributes.delete().where(user_attributes.c.user_id == user_id))
    await _insert_attribute_rows(conn, pool_id, user_id, attributes)


async def _insert_attribute_rows(
    conn: AsyncConnection, pool_id: str, user_id: int, attributes: Mapping[str, str]
) -> None:
    rows = [
        {"user_id": user_id, "pool_id": pool_id, "name": name, "value": value[:_INDEXED_LENGTH]}
        for name, value in attributes.items()
        if name in FILTERABLE_ATTRIBUTES
    ]
    if rows:
        await conn.execute(_INSERT_ATTRIBUTE, rows)


_INSERT_ATTRIBUTE = user_attributes.insert()


async def update_user(conn: AsyncConnection, user_id: int, *, now: datetime, **values: Any) -> None:
    """Change columns of a user (status, enabled, attributes, password, mfa…)."""
    if "status" in values and isinstance(values["status"], UserStatus):
        values["status"] = values["status"].value
    await conn.execute(users.update().where(users.c.id == user_id).values(updated_at=now, **values))


async def delete_user(conn: AsyncConnection, user_id: int) -> None:
    """Delete a user; aliases, group memberships and indexed attributes go with it."""
    await conn.execute(users.delete().where(users.c.id == user_id))


async def find_by_aliases(
    conn: AsyncConnection, pool_id: str, candidates: Mapping[str, str]
) -> dict[str, User]:
    """The users holding the aliases `candidates` (kind -> value key), by kind, in one query."""
    if not candidates:
        return {}
    query = _alias_query(tuple(candidates))
    parameters = {f"key_{kind}": key for kind, key in candidates.items()}
    parameters["pool_id"] = pool_id
    rows = await query.all(conn, parameters)
    return {row.kind: user_from_row(row) for row in rows}


@functools.cache
def _alias_query(kinds: tuple[str, ...]) -> Prepared:
    # Built once per combination of kinds (a pool has at most three): building and caching a
    # fresh statement per sign-in cost more than running it.
    return Prepared(
        sa.select(aliases.c.kind, users)
        .join(users, aliases.c.user_id == users.c.id)
        .where(
            aliases.c.pool_id == sa.bindparam("pool_id"),
            sa.or_(
                *(
                    sa.and_(
                        aliases.c.kind == kind, aliases.c.value_key == sa.bindparam(f"key_{kind}")
                    )
                    for kind in kinds
                )
            ),
        )
    )


async def set_aliases(
    conn: AsyncConnection,
    *,
    pool_id: str,
    user_id: int,
    wanted: Mapping[str, str],
    username_kinds: Collection[str] = (),
    force: bool = False,
    now: datetime,
    is_new_user: bool = False,
) -> None:
    """Make the user's aliases exactly `wanted` (kind -> value key).

    An alias held by another user raises UsernameExistsException when its kind is one of the
    pool's username attributes (`username_kinds`), else AliasExistsException, unless `force`
    (ForceAliasCreation): then the alias moves here and the previous holder's copy of the
    attribute becomes unverified, so it stops being a sign-in name there. A concurrent
    transaction taking the same alias is caught by the primary key and reported the same way.
    `is_new_user`: the user was inserted in this transaction, so holds no alias to delete.
    """
    if not is_new_user:
        await conn.execute(aliases.delete().where(aliases.c.user_id == user_id))
    holders = await find_by_aliases(conn, pool_id, wanted)
    for kind, holder in holders.items():
        if holder.id == user_id:
            continue
        if force and kind not in username_kinds:
            await _release_alias(conn, holder, kind, wanted[kind], now=now)
        else:
            raise _alias_taken(kind, username_kinds)
    rows = [
        {"pool_id": pool_id, "kind": kind, "value_key": key, "user_id": user_id}
        for kind, key in wanted.items()
    ]
    if not rows:
        return
    try:
        async with _savepoint(conn):
            await conn.execute(_INSERT_ALIAS, rows)
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            raise _alias_taken(next(iter(wanted)), username_kinds) from exc
        raise


_INSERT_ALIAS = aliases.insert()


def _alias_taken(kind: str, username_kinds: Collection[str]) -> Exception:
    message = f"An account with the given {kind} already exists."
    if kind in username_kinds:
        return UsernameExistsException(message)
    return AliasExistsException(message)


async def _release_alias(
    conn: AsyncConnection, holder: User, kind: str, key: str, *, now: datetime
) -> None:
    await conn.execute(
        aliases.delete().where(
            aliases.c.pool_id == holder.pool_id,
            aliases.c.kind == kind,
            aliases.c.value_key == key,
        )
    )
    if kind == "preferred_username":
        return
    attributes = {**holder.attributes, f"{kind}_verified": "false"}
    await update_user(conn, holder.id, now=now, attributes=attributes)


async def recent_passwords(conn: AsyncConnection, user_id: int, limit: int) -> list[bytes]:
    """The user's `limit` most recently set password credentials, newest first."""
    if limit <= 0:
        return []
    query = (
        sa.select(password_history.c.password)
        .where(password_history.c.user_id == user_id)
        .order_by(password_history.c.id.desc())
        .limit(limit)
    )
    return [row.password for row in (await conn.execute(query)).all()]


_INSERT_PASSWORD = password_history.insert()


async def remember_password(
    conn: AsyncConnection,
    user_id: int,
    credential: bytes,
    *,
    keep: int,
    now: datetime,
    is_new_user: bool = False,
) -> None:
    """Record a newly set credential and keep only the `keep` newest (PasswordHistorySize).

    The current password is part of the history, so reusing it counts as reuse.
    `is_new_user`: the user was inserted in this transaction, so has no older entry to trim.
    """
    if keep > 0:
        parameters = {"user_id": user_id, "password": credential, "created_at": now}
        await conn.execute(_INSERT_PASSWORD, parameters)
    if is_new_user:
        return
    kept = (
        sa.select(password_history.c.id)
        .where(password_history.c.user_id == user_id)
        .order_by(password_history.c.id.desc())
        .limit(keep)
    )
    await conn.execute(
        password_history.delete().where(
            password_history.c.user_id == user_id,
            password_history.c.id.not_in(kept),
        )
    )


async def set_password(
    conn: AsyncConnection,
    user_id: int,
    credential: bytes,
    *,
    status: UserStatus,
    history_size: int,
    now: datetime,
) -> None:
    """Store a new password credential and status, and record it in the password history."""
    await update_user(
        conn, user_id, now=now, password=credential, password_set_at=now, status=status
    )
    await remember_password(conn, user_id, credential, keep=history_size, now=now)
