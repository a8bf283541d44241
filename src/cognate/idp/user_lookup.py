"""Finding the user an operation names: by username, or by any sign-in alias of the pool.

Every operation that takes a `Username` accepts the stored username or, as in Cognito, an alias
the pool allows (email, phone number, preferred username; in pools where email or phone number
is the username, that value). Two indexed queries at most: the username key, then all aliases.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.attributes import ALIAS_KINDS, alias_key, lookup_kinds
from cognate.domain.pool import Pool
from cognate.domain.user import User, username_key
from cognate.errors import UserNotFoundException
from cognate.idp.resources import known_case_sensitivity, require_pool
from cognate.store import users as user_store


async def find_user(
    conn: AsyncConnection,
    pool: Pool,
    username: str,
    *,
    is_username_missing: bool = False,
    same_queries: bool = False,
) -> User | None:
    """The user `username` names in `pool`, or None.

    Order: the username (matched by its key, so case-insensitively unless the pool is
    case-sensitive), then the aliases in the order email, phone_number, preferred_username.
    Only aliases a user currently holds match (see domain.attributes.aliases_of).
    `is_username_missing`: the caller already looked the username up and found nobody.
    `same_queries`: look the aliases up even after the username matched, so that an unknown
    name costs what a known one does (sign-in, where that time must not tell them apart).
    """
    candidates = {kind: alias_key(pool, kind, username) for kind in lookup_kinds(pool)}
    if not is_username_missing:
        key = username_key(username, case_sensitive=pool.is_case_sensitive)
        user = await user_store.get_user(conn, pool.id, key)
        if user is not None:
            if same_queries:
                await user_store.find_by_aliases(conn, pool.id, candidates)
            return user
    found = await user_store.find_by_aliases(conn, pool.id, candidates)
    for kind in ALIAS_KINDS:
        if kind in found:
            return found[kind]
    return None


async def require_user(conn: AsyncConnection, pool: Pool, username: str) -> User:
    """The user `username` names; UserNotFoundException("User does not exist.") if none."""
    user = await find_user(conn, pool, username)
    if user is None:
        raise UserNotFoundException("User does not exist.")
    return user


async def require_pool_user(conn: AsyncConnection, pool_id: str, username: str) -> User:
    """`require_user` of `require_pool`, with the same errors, in one indexed query when the
    name is a username of a pool this process has loaded before (its case sensitivity never
    changes: see resources.known_case_sensitivity); the user's existence proves the pool's,
    since deleting a pool deletes its users."""
    case_sensitive = known_case_sensitivity(pool_id)
    if case_sensitive is not None:
        key = username_key(username, case_sensitive=case_sensitive)
        user = await user_store.get_user(conn, pool_id, key)
        if user is not None:
            return user
    pool = await require_pool(conn, pool_id)
    user = await find_user(conn, pool, username, is_username_missing=case_sensitive is not None)
    if user is None:
        raise UserNotFoundException("User does not exist.")
    return user
