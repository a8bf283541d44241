"""Queries on a pool's external identity providers.

ProviderDetails' secrets (client_secret, private_key) are stored AES-GCM encrypted, base64 in
the JSON column, under a purpose naming the pool, provider and key, so a ciphertext copied to
another row or key does not decrypt. Entities returned here hold the plaintext.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.domain.identity_provider import SECRET_KEYS, ProviderType
from cognate.secretbox import SecretBox
from cognate.store.dialects import is_unique_violation
from cognate.store.tables import identity_providers


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityProvider:
    """An external identity provider of a pool, secrets in plaintext."""

    pool_id: str
    name: str
    type: ProviderType
    details: Mapping[str, str]
    attribute_mapping: Mapping[str, str]
    idp_identifiers: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


def _purpose(pool_id: str, name: str, key: str) -> str:
    return f"identity-provider:{pool_id}:{name}:{key}"


def _sealed(box: SecretBox, provider: IdentityProvider) -> dict[str, str]:
    return {
        key: (
            base64.b64encode(
                box.encrypt(value.encode(), _purpose(provider.pool_id, provider.name, key))
            ).decode()
            if key in SECRET_KEYS
            else value
        )
        for key, value in provider.details.items()
    }


def _provider(box: SecretBox, row: sa.Row[Any]) -> IdentityProvider:
    details = {
        key: (
            box.decrypt(base64.b64decode(value), _purpose(row.pool_id, row.name, key)).decode()
            if key in SECRET_KEYS
            else value
        )
        for key, value in row.details.items()
    }
    return IdentityProvider(
        pool_id=row.pool_id,
        name=row.name,
        type=ProviderType(row.type),
        details=details,
        attribute_mapping=dict(row.attribute_mapping),
        idp_identifiers=tuple(row.idp_identifiers),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _values(box: SecretBox, provider: IdentityProvider) -> dict[str, Any]:
    return {
        "type": provider.type.value,
        "details": _sealed(box, provider),
        "attribute_mapping": dict(provider.attribute_mapping),
        "idp_identifiers": list(provider.idp_identifiers),
        "updated_at": provider.updated_at,
    }


async def insert_identity_provider(
    conn: AsyncConnection, box: SecretBox, provider: IdentityProvider
) -> bool:
    """Store a new provider; False if the pool already has one with its name."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                identity_providers.insert().values(
                    pool_id=provider.pool_id,
                    name=provider.name,
                    created_at=provider.created_at,
                    **_values(box, provider),
                )
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True


async def get_identity_provider(
    conn: AsyncConnection, box: SecretBox, pool_id: str, name: str
) -> IdentityProvider | None:
    """The pool's provider `name`, or None."""
    query = identity_providers.select().where(
        identity_providers.c.pool_id == pool_id, identity_providers.c.name == name
    )
    row = (await conn.execute(query)).first()
    return _provider(box, row) if row else None


async def list_identity_providers(
    conn: AsyncConnection,
    box: SecretBox,
    pool_id: str,
    *,
    after: str | None = None,
    limit: int | None = None,
) -> list[IdentityProvider]:
    """The pool's providers ordered by name, after `after`, at most `limit`."""
    query = (
        identity_providers.select()
        .where(identity_providers.c.pool_id == pool_id)
        .order_by(identity_providers.c.name)
    )
    if after is not None:
        query = query.where(identity_providers.c.name > after)
    if limit is not None:
        query = query.limit(limit)
    return [_provider(box, row) for row in await conn.execute(query)]


async def provider_names(conn: AsyncConnection, pool_id: str) -> frozenset[str]:
    """The names of the pool's providers (what app clients may list), without decrypting."""
    query = sa.select(identity_providers.c.name).where(identity_providers.c.pool_id == pool_id)
    return frozenset(row.name for row in await conn.execute(query))


async def identifier_owners(conn: AsyncConnection, pool_id: str) -> dict[str, str]:
    """Every IdpIdentifier of the pool mapped to the name of the provider holding it."""
    query = sa.select(identity_providers.c.name, identity_providers.c.idp_identifiers).where(
        identity_providers.c.pool_id == pool_id
    )
    return {
        identifier: row.name
        for row in await conn.execute(query)
        for identifier in row.idp_identifiers
    }


async def update_identity_provider(
    conn: AsyncConnection, box: SecretBox, provider: IdentityProvider
) -> None:
    """Replace a provider's details, mapping and identifiers."""
    await conn.execute(
        identity_providers.update()
        .where(
            identity_providers.c.pool_id == provider.pool_id,
            identity_providers.c.name == provider.name,
        )
        .values(**_values(box, provider))
    )


async def delete_identity_provider(conn: AsyncConnection, pool_id: str, name: str) -> None:
    """Delete a provider."""
    await conn.execute(
        identity_providers.delete().where(
            identity_providers.c.pool_id == pool_id, identity_providers.c.name == name
        )
    )
