"""Queries on a pool's branding: UI customization (CSS and logo per client or "ALL"),
managed-login brandings (one per client) and terms documents (one of each name per client)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.dialects import is_unique_violation
from cognate.store.tables import managed_login_brandings, terms, ui_customizations

ALL_CLIENTS = "ALL"


@dataclass(frozen=True, slots=True, kw_only=True)
class UICustomization:
    """A client's (or, with client_id "ALL", the pool's default) CSS and logo."""

    pool_id: str
    client_id: str
    css: str | None
    css_version: str
    image: bytes | None
    image_type: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ManagedLoginBranding:
    """A client's managed-login branding, as Create/UpdateManagedLoginBranding got it."""

    id: str
    pool_id: str
    client_id: str
    settings: Any
    assets: tuple[Mapping[str, Any], ...]
    use_cognito_provided_values: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Terms:
    """A terms-of-use or privacy-policy document of a client: links by locale."""

    id: str
    pool_id: str
    client_id: str
    name: str
    source: str
    enforcement: str
    links: Mapping[str, str]
    created_at: datetime
    updated_at: datetime


def _customization(row: sa.Row[Any]) -> UICustomization:
    return UICustomization(
        pool_id=row.pool_id,
        client_id=row.client_id,
        css=row.css,
        css_version=row.css_version,
        image=row.image,
        image_type=row.image_type,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def get_ui_customization(
    conn: AsyncConnection, pool_id: str, client_id: str
) -> UICustomization | None:
    """The customization that applies to `client_id`: its own, else the pool's "ALL" one."""
    table = ui_customizations
    query = (
        table.select()
        .where(table.c.pool_id == pool_id, table.c.client_id.in_({client_id, ALL_CLIENTS}))
        .order_by(sa.case((table.c.client_id == ALL_CLIENTS, 1), else_=0))
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return _customization(row) if row else None


async def put_ui_customization(conn: AsyncConnection, item: UICustomization) -> UICustomization:
    """Store `item` in place of the client's customization, keeping its first creation time."""
    table = ui_customizations
    key = (table.c.pool_id == item.pool_id, table.c.client_id == item.client_id)
    created = (await conn.execute(sa.select(table.c.created_at).where(*key))).scalar()
    values = {
        "css": item.css,
        "css_version": item.css_version,
        "image": item.image,
        "image_type": item.image_type,
        "updated_at": item.updated_at,
    }
    if created is None:
        await conn.execute(
            table.insert().values(
                pool_id=item.pool_id, client_id=item.client_id, created_at=item.created_at, **values
            )
        )
        return item
    await conn.execute(table.update().where(*key).values(**values))
    return UICustomization(**{**_fields(item), "created_at": created})


def _fields(item: UICustomization) -> dict[str, Any]:
    return {name: getattr(item, name) for name in UICustomization.__slots__}


def _branding(row: sa.Row[Any]) -> ManagedLoginBranding:
    return ManagedLoginBranding(
        id=row.id,
        pool_id=row.pool_id,
        client_id=row.client_id,
        settings=row.settings,
        assets=tuple(row.assets),
        use_cognito_provided_values=row.use_cognito_provided_values,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def insert_branding(conn: AsyncConnection, branding: ManagedLoginBranding) -> bool:
    """Store a new branding; False if the client already has one."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                managed_login_brandings.insert().values(
                    id=branding.id,
                    pool_id=branding.pool_id,
                    client_id=branding.client_id,
                    settings=branding.settings,
                    assets=[dict(asset) for asset in branding.assets],
                    use_cognito_provided_values=branding.use_cognito_provided_values,
                    created_at=branding.created_at,
                    updated_at=branding.updated_at,
                )
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True


async def get_branding(
    conn: AsyncConnection,
    pool_id: str,
    *,
    branding_id: str | None = None,
    client_id: str | None = None,
) -> ManagedLoginBranding | None:
    """The pool's branding with id `branding_id`, or the one of client `client_id`; or None."""
    table = managed_login_brandings
    query = table.select().where(table.c.pool_id == pool_id)
    if branding_id is not None:
        query = query.where(table.c.id == branding_id)
    if client_id is not None:
        query = query.where(table.c.client_id == client_id)
    row = (await conn.execute(query)).first()
    return _branding(row) if row else None


async def update_branding(conn: AsyncConnection, branding: ManagedLoginBranding) -> None:
    """Replace a branding's settings, assets and flag."""
    await conn.execute(
        managed_login_brandings.update()
        .where(managed_login_brandings.c.id == branding.id)
        .values(
            settings=branding.settings,
            assets=[dict(asset) for asset in branding.assets],
            use_cognito_provided_values=branding.use_cognito_provided_values,
            updated_at=branding.updated_at,
        )
    )


async def delete_branding(conn: AsyncConnection, pool_id: str, branding_id: str) -> bool:
    """Delete a branding; False if the pool has none with that id."""
    table = managed_login_brandings
    result = await conn.execute(
        table.delete().where(table.c.pool_id == pool_id, table.c.id == branding_id)
    )
    return bool(result.rowcount)


def _terms(row: sa.Row[Any]) -> Terms:
    return Terms(
        id=row.id,
        pool_id=row.pool_id,
        client_id=row.client_id,
        name=row.name,
        source=row.source,
        enforcement=row.enforcement,
        links=dict(row.links),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _terms_values(item: Terms) -> dict[str, Any]:
    return {
        "name": item.name,
        "source": item.source,
        "enforcement": item.enforcement,
        "links": dict(item.links),
        "updated_at": item.updated_at,
    }


async def insert_terms(conn: AsyncConnection, item: Terms) -> bool:
    """Store new terms; False if the client already has terms of that name."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                terms.insert().values(
                    id=item.id,
                    pool_id=item.pool_id,
                    client_id=item.client_id,
                    created_at=item.created_at,
                    **_terms_values(item),
                )
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True


async def update_terms(conn: AsyncConnection, item: Terms) -> bool:
    """Replace the terms' name, source, enforcement and links; False if the new name is taken."""
    try:
        async with conn.begin_nested():
            await conn.execute(
                terms.update().where(terms.c.id == item.id).values(**_terms_values(item))
            )
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            return False
        raise
    return True


async def get_terms(conn: AsyncConnection, pool_id: str, terms_id: str) -> Terms | None:
    """The pool's terms `terms_id`, or None."""
    query = terms.select().where(terms.c.pool_id == pool_id, terms.c.id == terms_id)
    row = (await conn.execute(query)).first()
    return _terms(row) if row else None


async def delete_terms(conn: AsyncConnection, pool_id: str, terms_id: str) -> bool:
    """Delete terms; False if the pool has none with that id."""
    result = await conn.execute(
        terms.delete().where(terms.c.pool_id == pool_id, terms.c.id == terms_id)
    )
    return bool(result.rowcount)


async def list_terms(
    conn: AsyncConnection,
    pool_id: str,
    *,
    client_id: str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[Terms]:
    """The pool's (or one client's) terms ordered by id, after `after`, at most `limit`."""
    query = terms.select().where(terms.c.pool_id == pool_id).order_by(terms.c.id)
    if client_id is not None:
        query = query.where(terms.c.client_id == client_id)
    if after is not None:
        query = query.where(terms.c.id > after)
    if limit is not None:
        query = query.limit(limit)
    return [_terms(row) for row in await conn.execute(query)]


async def page_branding(
    conn: AsyncConnection, pool_id: str, client_id: str
) -> tuple[UICustomization | None, Sequence[Terms]]:
    """What a hosted page of the client shows: its UI customization and its terms."""
    customization = await get_ui_customization(conn, pool_id, client_id)
    return customization, await list_terms(conn, pool_id, client_id=client_id)
