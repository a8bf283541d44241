"""Queries on app clients, their secrets and the pools' domains.

Client secrets are stored AES-GCM encrypted under the purpose `client_secret_purpose(client_id)`,
so a ciphertext copied to another client's row does not decrypt. The oldest secret is the one
DescribeUserPoolClient shows as ClientSecret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.client import Client, client_secret_purpose
from cognate.domain.pool import Pool
from cognate.domain.user_pool_domain import PoolDomain
from cognate.errors import InvalidParameterException
from cognate.secretbox import SecretBox
from cognate.store.dialects import is_unique_violation
from cognate.store.prepared import Prepared
from cognate.store.tables import client_secrets, domains, user_pool_clients, user_pools

_HAS_SECRET = (
    sa.exists().where(client_secrets.c.client_id == user_pool_clients.c.id).label("has_secret")
)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredSecret:
    """One client secret row: its id, ciphertext and creation time."""

    id: str
    ciphertext: bytes
    created_at: datetime


def _client(row: Any) -> Client:
    return Client(
        id=row.id,
        pool_id=row.pool_id,
        name=row.name,
        config=row.config,
        has_secret=bool(row.has_secret),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def insert_client(conn: AsyncConnection, client: Client) -> None:
    """Store a new client (its secrets are inserted separately)."""
    await conn.execute(
        user_pool_clients.insert().values(
            id=client.id,
            pool_id=client.pool_id,
            name=client.name,
            config=dict(client.config),
            created_at=client.created_at,
            updated_at=client.updated_at,
        )
    )


# Built once: nearly every public (ClientId) request loads its client.
_GET_CLIENT = sa.select(user_pool_clients, _HAS_SECRET).where(
    user_pool_clients.c.id == sa.bindparam("client_id")
)
_GET_CLIENT_OF_POOL = _GET_CLIENT.where(user_pool_clients.c.pool_id == sa.bindparam("pool_id"))


async def get_client(
    conn: AsyncConnection, pool_id: str | None, client_id: str, *, for_update: bool = False
) -> Client | None:
    """The client `client_id` (of pool `pool_id` unless None), or None.

    `for_update` locks the client's row until the transaction ends (PostgreSQL; SQLite
    serialises writers anyway), so checks on its secrets cannot race.
    """
    parameters = {"client_id": client_id}
    query = _GET_CLIENT
    if pool_id is not None:
        query = _GET_CLIENT_OF_POOL
        parameters["pool_id"] = pool_id
    if for_update:
        query = query.with_for_update(of=user_pool_clients)
    row = (await conn.execute(query, parameters)).first()
    return _client(row) if row else None


_POOL_COLUMNS = [column.label(f"up_{column.name}") for column in user_pools.c]
_GET_CLIENT_WITH_POOL = Prepared(
    sa.select(user_pool_clients, _HAS_SECRET, *_POOL_COLUMNS)
    .join(user_pools, user_pools.c.id == user_pool_clients.c.pool_id)
    .where(user_pool_clients.c.id == sa.bindparam("client_id"))
)


async def get_client_with_pool(conn: AsyncConnection, client_id: str) -> tuple[Client, Pool] | None:
    """The client `client_id` and its pool in one query, or None (a pool's clients go with it)."""
    row = await _GET_CLIENT_WITH_POOL.first(conn, {"client_id": client_id})
    if row is None:
        return None
    pool = Pool(
        id=row.up_id,
        name=row.up_name,
        config=row.up_config,
        created_at=row.up_created_at,
        updated_at=row.up_updated_at,
    )
    return _client(row), pool


async def list_clients(
    conn: AsyncConnection, pool_id: str, *, after: str | None, limit: int
) -> list[Client]:
    """Up to `limit` clients of the pool ordered by id, starting after id `after`."""
    query = (
        sa.select(user_pool_clients, _HAS_SECRET)
        .where(user_pool_clients.c.pool_id == pool_id)
        .order_by(user_pool_clients.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(user_pool_clients.c.id > after)
    return [_client(row) for row in await conn.execute(query)]


async def update_client(
    conn: AsyncConnection, client_id: str, *, name: str, config: Mapping[str, Any], now: datetime
) -> None:
    """Replace a client's name and configuration."""
    await conn.execute(
        user_pool_clients.update()
        .where(user_pool_clients.c.id == client_id)
        .values(name=name, config=dict(config), updated_at=now)
    )


async def delete_client(conn: AsyncConnection, client_id: str) -> None:
    """Delete a client; its secrets go with it (ON DELETE CASCADE)."""
    await conn.execute(user_pool_clients.delete().where(user_pool_clients.c.id == client_id))


async def insert_secret(
    conn: AsyncConnection, *, secret_id: str, client_id: str, ciphertext: bytes, now: datetime
) -> None:
    """Store an encrypted client secret."""
    await conn.execute(
        client_secrets.insert().values(
            id=secret_id, client_id=client_id, secret=ciphertext, created_at=now
        )
    )


# Built once: read on every sign-in and token request of a client with a secret.
_SECRETS = (
    client_secrets.select()
    .where(client_secrets.c.client_id == sa.bindparam("client_id"))
    .order_by(client_secrets.c.created_at, client_secrets.c.id)
)


async def list_secrets(conn: AsyncConnection, client_id: str) -> list[StoredSecret]:
    """The client's secrets, oldest first."""
    return [
        StoredSecret(id=row.id, ciphertext=row.secret, created_at=row.created_at)
        for row in await conn.execute(_SECRETS, {"client_id": client_id})
    ]


async def delete_secret(conn: AsyncConnection, client_id: str, secret_id: str) -> bool:
    """Delete one secret of the client; False if it has no secret `secret_id`."""
    result = await conn.execute(
        client_secrets.delete().where(
            client_secrets.c.client_id == client_id, client_secrets.c.id == secret_id
        )
    )
    return bool(result.rowcount)


def decrypt_secret(box: SecretBox, client_id: str, secret: StoredSecret) -> str:
    """The plaintext of one of the client's secrets."""
    return box.decrypt(secret.ciphertext, client_secret_purpose(client_id)).decode()


async def client_secret_values(
    conn: AsyncConnection, secrets: SecretBox, client_id: str
) -> list[str]:
    """The plaintext of every secret of the client, oldest first (empty for a public client).

    A SECRET_HASH or client_secret is valid if it matches any of them (compare in constant time).
    """
    return [
        decrypt_secret(secrets, client_id, secret) for secret in await list_secrets(conn, client_id)
    ]


def _domain(row: sa.Row[Any]) -> PoolDomain:
    return PoolDomain(
        domain=row.domain, pool_id=row.pool_id, config=row.config, created_at=row.created_at
    )


async def get_domain(conn: AsyncConnection, domain: str) -> PoolDomain | None:
    """The domain `domain` of whichever pool holds it, or None."""
    row = (await conn.execute(domains.select().where(domains.c.domain == domain))).first()
    return _domain(row) if row else None


async def pool_domains(conn: AsyncConnection, pool_id: str) -> list[PoolDomain]:
    """The pool's domains (at most one prefix domain and one custom domain)."""
    query = domains.select().where(domains.c.pool_id == pool_id).order_by(domains.c.created_at)
    return [_domain(row) for row in await conn.execute(query)]


async def insert_domain(conn: AsyncConnection, domain: PoolDomain) -> None:
    """Store a new domain. Raises InvalidParameterException if any pool already holds it."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                domains.insert().values(
                    domain=domain.domain,
                    pool_id=domain.pool_id,
                    config=dict(domain.config),
                    created_at=domain.created_at,
                )
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            raise InvalidParameterException(
                "Domain already associated with another user pool."
            ) from exc
        raise


async def update_domain(conn: AsyncConnection, domain: str, config: Mapping[str, Any]) -> None:
    """Replace a domain's configuration."""
    await conn.execute(
        domains.update().where(domains.c.domain == domain).values(config=dict(config))
    )


async def delete_domain(conn: AsyncConnection, domain: str) -> None:
    """Delete a domain."""
    await conn.execute(domains.delete().where(domains.c.domain == domain))
