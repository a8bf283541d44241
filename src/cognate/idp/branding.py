"""Managed-login branding: Create/Describe/Update/Delete ManagedLoginBranding and
DescribeManagedLoginBrandingByClient.

Developer guide, "Apply branding to managed login pages": one branding style per app client,
a Settings JSON document and image Assets (by Category and ColorMode), or
UseCognitoProvidedValues for Cognito's defaults (then without Settings or Assets). Cognate
stores and echoes them, and its hosted pages wear the style (colours, radii, logo, background,
favicon: domain/managed_login.py, hosted_ui/pages.py) unless the pool's domains are all
classic (ManagedLoginVersion 1), which keep the UI customization.
ReturnMergedResources is accepted; with nothing of Cognito's defaults to merge, the answer is
the stored branding either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, cast

from cognate.context import Context
from cognate.errors import (
    InvalidParameterException,
    ManagedLoginBrandingExistsException,
    ResourceNotFoundException,
)
from cognate.idp import shapes
from cognate.idp.clients import require_client
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.store import branding as branding_store
from cognate.store.branding import ManagedLoginBranding


def _type(branding: ManagedLoginBranding) -> dict[str, Any]:
    """ManagedLoginBrandingType (asset Bytes stay base64, as the wire carries blobs)."""
    described: dict[str, Any] = {
        "ManagedLoginBrandingId": branding.id,
        "UserPoolId": branding.pool_id,
        "UseCognitoProvidedValues": branding.use_cognito_provided_values,
        "Assets": [dict(asset) for asset in branding.assets],
        "CreationDate": branding.created_at,
        "LastModifiedDate": branding.updated_at,
    }
    if branding.settings is not None:
        described["Settings"] = branding.settings
    return described


def _assets(requested: Sequence[shapes.AssetType] | None) -> tuple[dict[str, Any], ...]:
    """The assets of a request: each with Bytes or a ResourceId, one per Category and ColorMode."""
    assets = tuple(dict(asset) for asset in requested or ())
    seen = set()
    for asset in assets:
        if not asset.get("Bytes") and not asset.get("ResourceId"):
            raise InvalidParameterException("Each asset requires Bytes or a ResourceId.")
        key = (asset["Category"], asset["ColorMode"])
        if key in seen:
            raise InvalidParameterException(
                f"Duplicate asset for category {key[0]} and color mode {key[1]}."
            )
        seen.add(key)
    return assets


def _check_defaults(use_defaults: bool, settings: Any, assets: Sequence[Any]) -> None:
    if use_defaults and (settings is not None or assets):
        raise InvalidParameterException(
            "Settings and Assets cannot be specified when UseCognitoProvidedValues is true."
        )


def _missing(branding_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Managed login branding {branding_id} does not exist.")


@idp.operation("CreateManagedLoginBranding")
async def create_managed_login_branding(
    ctx: Context, req: shapes.CreateManagedLoginBrandingRequest
) -> shapes.CreateManagedLoginBrandingResponse:
    assets = _assets(req.get("Assets"))
    settings = req.get("Settings")
    use_defaults = bool(req.get("UseCognitoProvidedValues", False))
    _check_defaults(use_defaults, settings, assets)
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        client = await require_client(conn, pool.id, req["ClientId"])
        branding = ManagedLoginBranding(
            id=str(uuid.uuid4()),
            pool_id=pool.id,
            client_id=client.id,
            settings=settings,
            assets=assets,
            use_cognito_provided_values=use_defaults,
            created_at=now,
            updated_at=now,
        )
        if not await branding_store.insert_branding(conn, branding):
            raise ManagedLoginBrandingExistsException(
                f"Managed login branding already exists for client {client.id}."
            )
    return cast(
        shapes.CreateManagedLoginBrandingResponse, {"ManagedLoginBranding": _type(branding)}
    )


@idp.operation("DescribeManagedLoginBranding")
async def describe_managed_login_branding(
    ctx: Context, req: shapes.DescribeManagedLoginBrandingRequest
) -> shapes.DescribeManagedLoginBrandingResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        branding = await branding_store.get_branding(
            conn, pool.id, branding_id=req["ManagedLoginBrandingId"]
        )
    if branding is None:
        raise _missing(req["ManagedLoginBrandingId"])
    return cast(
        shapes.DescribeManagedLoginBrandingResponse, {"ManagedLoginBranding": _type(branding)}
    )


@idp.operation("DescribeManagedLoginBrandingByClient")
async def describe_managed_login_branding_by_client(
    ctx: Context, req: shapes.DescribeManagedLoginBrandingByClientRequest
) -> shapes.DescribeManagedLoginBrandingByClientResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        client = await require_client(conn, pool.id, req["ClientId"])
        branding = await branding_store.get_branding(conn, pool.id, client_id=client.id)
    if branding is None:
        raise ResourceNotFoundException(
            f"Managed login branding for client {client.id} does not exist."
        )
    return cast(
        shapes.DescribeManagedLoginBrandingByClientResponse,
        {"ManagedLoginBranding": _type(branding)},
    )


def _ids(req: shapes.UpdateManagedLoginBrandingRequest) -> tuple[str, str]:
    pool_id, branding_id = req.get("UserPoolId"), req.get("ManagedLoginBrandingId")
    if not pool_id or not branding_id:
        raise InvalidParameterException("UserPoolId and ManagedLoginBrandingId are required.")
    return pool_id, branding_id


@idp.operation("UpdateManagedLoginBranding")
async def update_managed_login_branding(
    ctx: Context, req: shapes.UpdateManagedLoginBrandingRequest
) -> shapes.UpdateManagedLoginBrandingResponse:
    """Replace what the request names; with UseCognitoProvidedValues, clear Settings and Assets."""
    pool_id, branding_id = _ids(req)
    assets = _assets(req["Assets"]) if "Assets" in req else None
    use_defaults = req.get("UseCognitoProvidedValues")
    _check_defaults(bool(use_defaults), req.get("Settings"), assets or ())
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, pool_id)
        found = await branding_store.get_branding(conn, pool.id, branding_id=branding_id)
        if found is None:
            raise _missing(branding_id)
        branding = replace(found, updated_at=ctx.clock())
        if use_defaults:
            branding = replace(branding, settings=None, assets=(), use_cognito_provided_values=True)
        else:
            if use_defaults is not None:
                branding = replace(branding, use_cognito_provided_values=False)
            if "Settings" in req:
                branding = replace(branding, settings=req["Settings"])
            if assets is not None:
                branding = replace(branding, assets=assets)
        await branding_store.update_branding(conn, branding)
    return cast(
        shapes.UpdateManagedLoginBrandingResponse, {"ManagedLoginBranding": _type(branding)}
    )


@idp.operation("DeleteManagedLoginBranding")
async def delete_managed_login_branding(
    ctx: Context, req: shapes.DeleteManagedLoginBrandingRequest
) -> None:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        if not await branding_store.delete_branding(conn, pool.id, req["ManagedLoginBrandingId"]):
            raise _missing(req["ManagedLoginBrandingId"])
