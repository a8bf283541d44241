"""UI customization: SetUICustomization / GetUICustomization (CSS and logo of the hosted pages).

Developer guide, "Hosted UI (classic) branding": settings per app client, or pool-wide with
ClientId "ALL" (the default when ClientId is omitted); a client without its own settings gets
the pool's. The logo is served by Cognate at ImageUrl ({base_url}/ui/{pool}/{client}/logo).
"""

from __future__ import annotations

import base64
from typing import Any, cast

from cognate.context import Context
from cognate.domain.branding import image_type, parse_css
from cognate.idp import shapes
from cognate.idp.clients import require_client
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.store import branding as branding_store
from cognate.store.branding import ALL_CLIENTS, UICustomization


def logo_url(base_url: str, pool_id: str, client_id: str) -> str:
    """Where Cognate serves a customization's logo."""
    return f"{base_url}/ui/{pool_id}/{client_id}/logo"


def _type(ctx: Context, pool_id: str, client_id: str, item: UICustomization | None) -> Any:
    """UICustomizationType: only the ids when nothing is customized."""
    if item is None:
        return {"UserPoolId": pool_id, "ClientId": client_id}
    described: dict[str, Any] = {
        "UserPoolId": item.pool_id,
        "ClientId": item.client_id,
        "CSSVersion": item.css_version,
        "CreationDate": item.created_at,
        "LastModifiedDate": item.updated_at,
    }
    if item.css is not None:
        described["CSS"] = item.css
    if item.image is not None:
        described["ImageUrl"] = logo_url(ctx.base_url, item.pool_id, item.client_id)
    return described


@idp.operation("SetUICustomization")
async def set_ui_customization(
    ctx: Context, req: shapes.SetUICustomizationRequest
) -> shapes.SetUICustomizationResponse:
    css = req.get("CSS")
    if css is not None:
        parse_css(css)
    encoded = req.get("ImageFile")
    image = base64.b64decode(encoded) if encoded else None
    media_type = image_type(image) if image is not None else None
    now = ctx.clock()
    client_id = req.get("ClientId") or ALL_CLIENTS
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        if client_id != ALL_CLIENTS:
            await require_client(conn, pool.id, client_id)
        item = UICustomization(
            pool_id=pool.id,
            client_id=client_id,
            css=css,
            css_version=str(int(now.timestamp() * 1000)),
            image=image,
            image_type=media_type,
            created_at=now,
            updated_at=now,
        )
        stored = await branding_store.put_ui_customization(conn, item)
    return cast(
        shapes.SetUICustomizationResponse,
        {"UICustomization": _type(ctx, pool.id, client_id, stored)},
    )


@idp.operation("GetUICustomization")
async def get_ui_customization(
    ctx: Context, req: shapes.GetUICustomizationRequest
) -> shapes.GetUICustomizationResponse:
    client_id = req.get("ClientId") or ALL_CLIENTS
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        if client_id != ALL_CLIENTS:
            await require_client(conn, pool.id, client_id)
        item = await branding_store.get_ui_customization(conn, pool.id, client_id)
    return cast(
        shapes.GetUICustomizationResponse,
        {"UICustomization": _type(ctx, pool.id, client_id, item)},
    )
