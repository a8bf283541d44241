"""Queries on groups and their memberships.

Memberships reference both the group and the user with ON DELETE CASCADE, so deleting either
removes its memberships in the same statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.user import User
from cognate.errors import GroupExistsException
from cognate.store.dialects import is_unique_violation
from cognate.store.prepared import Prepared
from cognate.store.tables import groups, user_groups, users
from cognate.store.users import user_from_row


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """A user-pool group as stored."""

    pool_id: str
    name: str
    description: str | None
    role_arn: str | None
    precedence: int | None
    created_at: datetime
    updated_at: datetime


def _group(row: Any) -> Group:
    return Group(
        pool_id=row.pool_id,
        name=row.name,
        description=row.description,
        role_arn=row.role_arn,
        precedence=row.precedence,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def insert_group(conn: AsyncConnection, group: Group) -> None:
    """Store a new group; GroupExistsException if the pool already has one of that name."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                groups.insert().values(
                    pool_id=group.pool_id,
                    name=group.name,
                    description=group.description,
                    role_arn=group.role_arn,
                    precedence=group.precedence,
                    created_at=group.created_at,
                    updated_at=group.updated_at,
                )
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            raise GroupExistsException("A group with the name already exists.") from exc
        raise


async def get_group(conn: AsyncConnection, pool_id: str, name: str) -> Group | None:
    """The group `name` of the pool, or None."""
    query = groups.select().where(groups.c.pool_id == pool_id, groups.c.name == name)
    row = (await conn.execute(query)).first()
    return _group(row) if row else None


async def update_group(conn: AsyncConnection, group: Group) -> None:
    """Save `group`'s description, role, precedence and modification time."""
    await conn.execute(
        groups.update()
        .where(groups.c.pool_id == group.pool_id, groups.c.name == group.name)
        .values(
            description=group.description,
            role_arn=group.role_arn,
            precedence=group.precedence,
            updated_at=group.updated_at,
        )
    )


async def delete_group(conn: AsyncConnection, pool_id: str, name: str) -> None:
    """Delete a group and every membership in it."""
    # The cascade would do it too; deleting explicitly keeps this true without foreign keys.
    await conn.execute(
        user_groups.delete().where(
            user_groups.c.pool_id == pool_id, user_groups.c.group_name == name
        )
    )
    await conn.execute(groups.delete().where(groups.c.pool_id == pool_id, groups.c.name == name))


async def list_groups(
    conn: AsyncConnection, pool_id: str, *, after: str | None, limit: int
) -> list[Group]:
    """Up to `limit` groups of the pool ordered by name, starting after name `after`."""
    query = groups.select().where(groups.c.pool_id == pool_id).order_by(groups.c.name).limit(limit)
    if after is not None:
        query = query.where(groups.c.name > after)
    return [_group(row) for row in await conn.execute(query)]


async def add_member(conn: AsyncConnection, pool_id: str, group_name: str, user_id: int) -> None:
    """Make the user a member of the group; adding a member again changes nothing."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                user_groups.insert().values(pool_id=pool_id, group_name=group_name, user_id=user_id)
            )
    except sa.exc.IntegrityError as exc:
        if not is_unique_violation(exc):
            raise


async def remove_member(conn: AsyncConnection, pool_id: str, group_name: str, user_id: int) -> None:
    """End the user's membership of the group, if any."""
    await conn.execute(
        user_groups.delete().where(
            user_groups.c.pool_id == pool_id,
            user_groups.c.group_name == group_name,
            user_groups.c.user_id == user_id,
        )
    )


# Built once: every sign-in reads the first page for its cognito:groups claim.
_USER_GROUPS = (
    groups.select()
    .join(
        user_groups,
        sa.and_(
            user_groups.c.pool_id == groups.c.pool_id,
            user_groups.c.group_name == groups.c.name,
        ),
    )
    .where(
        user_groups.c.pool_id == sa.bindparam("pool_id"),
        user_groups.c.user_id == sa.bindparam("user_id"),
    )
    .order_by(groups.c.name)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
_FIRST_USER_GROUPS = Prepared(_USER_GROUPS)


async def groups_of_user(
    conn: AsyncConnection, pool_id: str, user_id: int, *, after: str | None, limit: int
) -> list[Group]:
    """Up to `limit` groups the user belongs to, ordered by name, starting after name `after`."""
    parameters: dict[str, Any] = {"pool_id": pool_id, "user_id": user_id, "limit": limit}
    if after is None:
        return [_group(row) for row in await _FIRST_USER_GROUPS.all(conn, parameters)]
    query = _USER_GROUPS.where(groups.c.name > sa.bindparam("after"))
    parameters["after"] = after
    return [_group(row) for row in await conn.execute(query, parameters)]


async def members(
    conn: AsyncConnection, pool_id: str, group_name: str, *, after: int | None, limit: int
) -> list[User]:
    """Up to `limit` members of the group ordered by user id, starting after id `after`."""
    query = (
        users.select()
        .join(user_groups, user_groups.c.user_id == users.c.id)
        .where(user_groups.c.pool_id == pool_id, user_groups.c.group_name == group_name)
        .order_by(users.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(users.c.id > after)
    return [user_from_row(row) for row in await conn.execute(query)]
