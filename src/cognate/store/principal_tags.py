"""Queries on identity pools' principal tag maps (Set/GetPrincipalTagAttributeMap)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.tables import identity_principal_tags


@dataclass(frozen=True, slots=True, kw_only=True)
class PrincipalTagMap:
    """A stored map: whether the provider's defaults apply, else tag key -> claim."""

    use_defaults: bool
    principal_tags: Mapping[str, str]


async def get_principal_tags(
    conn: AsyncConnection, pool_id: str, provider: str
) -> PrincipalTagMap | None:
    """The pool's map for `provider`, or None if none was ever set."""
    query = identity_principal_tags.select().where(
        identity_principal_tags.c.pool_id == pool_id,
        identity_principal_tags.c.provider == provider,
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return None
    return PrincipalTagMap(use_defaults=row.use_defaults, principal_tags=row.principal_tags)


async def set_principal_tags(
    conn: AsyncConnection, pool_id: str, provider: str, tags: PrincipalTagMap, *, now: datetime
) -> None:
    """Replace the pool's map for `provider` (delete and insert: one statement per dialect)."""
    await conn.execute(
        sa.delete(identity_principal_tags).where(
            identity_principal_tags.c.pool_id == pool_id,
            identity_principal_tags.c.provider == provider,
        )
    )
    await conn.execute(
        identity_principal_tags.insert().values(
            pool_id=pool_id,
            provider=provider,
            use_defaults=tags.use_defaults,
            principal_tags=dict(tags.principal_tags),
            updated_at=now,
        )
    )
