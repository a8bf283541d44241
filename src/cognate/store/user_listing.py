"""ListUsers queries: a filter becomes one indexed query for a page of user ids, then one query
loads those users. Pages are keyset-paginated on `users.id`, so a page costs the same at any depth.

Which index answers which filter (store/tables.py):

    email, phone_number, name, …  user_attributes (pool_id, name, value)
    username                      users (pool_id, username_key)   unique
    sub                           users (pool_id, sub)            unique
    cognito:user_status           users (pool_id, status)
    status, no filter             users (pool_id, …) then id order
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.pool import Pool
from cognate.domain.user import FILTERABLE_ATTRIBUTES, User, username_key
from cognate.domain.user_filter import (
    UserFilter,
    enabled_values,
    prefix_upper_bound,
    user_statuses,
)
from cognate.store.dialects import in_code_point_order
from cognate.store.tables import user_attributes, users
from cognate.store.users import user_from_row


async def list_users(
    conn: AsyncConnection,
    pool: Pool,
    user_filter: UserFilter | None,
    *,
    after: int | None,
    limit: int,
) -> list[User]:
    """Up to `limit` users of `pool` matching `user_filter`, ordered by id, after id `after`.

    One statement: the page of matching ids comes from an index alone (a subquery), and only
    those rows of `users` are read.
    """
    query = _ids_query(conn.dialect.name, pool, user_filter)
    if query is None:
        return []
    id_column = query.selected_columns[0]
    if after is not None:
        query = query.where(id_column > after)
    page = query.order_by(id_column).limit(limit).subquery()
    rows = await conn.execute(
        users.select().join(page, users.c.id == page.c[0]).order_by(users.c.id)
    )
    return [user_from_row(row) for row in rows]


def _ids_query(dialect: str, pool: Pool, user_filter: UserFilter | None) -> sa.Select[Any] | None:
    """The query selecting matching user ids (unordered), or None when nothing can match."""
    by_user = sa.select(users.c.id).where(users.c.pool_id == pool.id)
    if user_filter is None:
        return by_user
    attribute = user_filter.attribute
    if attribute in FILTERABLE_ATTRIBUTES:
        return sa.select(user_attributes.c.user_id).where(
            user_attributes.c.pool_id == pool.id,
            user_attributes.c.name == attribute,
            *_comparison(dialect, user_attributes.c.value, user_filter, user_filter.value),
        )
    if attribute == "username":
        # username_key is the lower-cased username in case-insensitive pools, so lower-casing
        # the searched value makes both `=` and `^=` ignore case there, as Cognito does.
        key = username_key(user_filter.value, case_sensitive=pool.is_case_sensitive)
        return by_user.where(*_comparison(dialect, users.c.username_key, user_filter, key))
    if attribute == "sub":
        return by_user.where(*_comparison(dialect, users.c.sub, user_filter, user_filter.value))
    if attribute == "cognito:user_status":
        statuses = user_statuses(user_filter)
        return by_user.where(users.c.status.in_(statuses)) if statuses else None
    flags = enabled_values(user_filter)
    return by_user.where(users.c.enabled.in_(flags)) if flags else None


def _comparison(
    dialect: str, column: sa.ColumnElement[str], user_filter: UserFilter, value: str
) -> list[sa.ColumnElement[bool]]:
    """Conditions for `column` equal to `value`, or starting with it as an index range."""
    if not user_filter.is_prefix:
        return [column == value]
    column = in_code_point_order(dialect, column)
    conditions = [column >= value]
    bound = prefix_upper_bound(value)
    if bound is not None:
        conditions.append(column < bound)
    return conditions
