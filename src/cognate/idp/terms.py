"""Terms documents: Create/Describe/Update/Delete/ListTerms.

Developer guide, "Terms of use and privacy policy": per app client, a `terms-of-use` and a
`privacy-policy` document, each a map of locale to URL (TermsSource LINK, Enforcement NONE are
the only values). The hosted pages link to them. Links must be https (plain http only to a
loopback host, for development): a page never sends users to an unprotected address.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast

from cognate.context import Context
from cognate.domain.branding import check_terms_link
from cognate.domain.pagination import decode_token, encode_token
from cognate.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
    TermsExistsException,
)
from cognate.idp import shapes
from cognate.idp.clients import require_client
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.store import branding as branding_store
from cognate.store.branding import Terms

_MAX_PAGE = 60


def _type(item: Terms) -> dict[str, Any]:
    """TermsType."""
    return {
        "TermsId": item.id,
        "UserPoolId": item.pool_id,
        "ClientId": item.client_id,
        "TermsName": item.name,
        "TermsSource": item.source,
        "Enforcement": item.enforcement,
        "Links": dict(item.links),
        "CreationDate": item.created_at,
        "LastModifiedDate": item.updated_at,
    }


def _links(links: Mapping[str, str] | None) -> dict[str, str]:
    """The links of a LINK document: at least one, each https (or loopback http)."""
    if not links:
        raise InvalidParameterException("Links are required when TermsSource is LINK.")
    for url in links.values():
        check_terms_link(url)
    return dict(links)


def _exists(name: str, client_id: str) -> TermsExistsException:
    return TermsExistsException(f"Terms {name} already exist for client {client_id}.")


def _missing(terms_id: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Terms {terms_id} do not exist.")


@idp.operation("CreateTerms")
async def create_terms(ctx: Context, req: shapes.CreateTermsRequest) -> shapes.CreateTermsResponse:
    links = _links(req.get("Links"))
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        client = await require_client(conn, pool.id, req["ClientId"])
        item = Terms(
            id=str(uuid.uuid4()),
            pool_id=pool.id,
            client_id=client.id,
            name=req["TermsName"],
            source=req["TermsSource"],
            enforcement=req["Enforcement"],
            links=links,
            created_at=now,
            updated_at=now,
        )
        if not await branding_store.insert_terms(conn, item):
            raise _exists(item.name, client.id)
    return cast(shapes.CreateTermsResponse, {"Terms": _type(item)})


async def _require(ctx: Context, pool_id: str, terms_id: str) -> Terms:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, pool_id)
        item = await branding_store.get_terms(conn, pool.id, terms_id)
    if item is None:
        raise _missing(terms_id)
    return item


@idp.operation("DescribeTerms")
async def describe_terms(
    ctx: Context, req: shapes.DescribeTermsRequest
) -> shapes.DescribeTermsResponse:
    item = await _require(ctx, req["UserPoolId"], req["TermsId"])
    return cast(shapes.DescribeTermsResponse, {"Terms": _type(item)})


@idp.operation("UpdateTerms")
async def update_terms(ctx: Context, req: shapes.UpdateTermsRequest) -> shapes.UpdateTermsResponse:
    """Replace what the request names; the rest stays."""
    links = _links(req["Links"]) if "Links" in req else None
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        found = await branding_store.get_terms(conn, pool.id, req["TermsId"])
        if found is None:
            raise _missing(req["TermsId"])
        item = replace(
            found,
            name=req.get("TermsName", found.name),
            source=req.get("TermsSource", found.source),
            enforcement=req.get("Enforcement", found.enforcement),
            links=found.links if links is None else links,
            updated_at=ctx.clock(),
        )
        if not await branding_store.update_terms(conn, item):
            raise _exists(item.name, item.client_id)
    return cast(shapes.UpdateTermsResponse, {"Terms": _type(item)})


@idp.operation("DeleteTerms")
async def delete_terms(ctx: Context, req: shapes.DeleteTermsRequest) -> None:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        if not await branding_store.delete_terms(conn, pool.id, req["TermsId"]):
            raise _missing(req["TermsId"])


@idp.operation("ListTerms")
async def list_terms(ctx: Context, req: shapes.ListTermsRequest) -> shapes.ListTermsResponse:
    limit = min(req.get("MaxResults") or _MAX_PAGE, _MAX_PAGE)
    token = req.get("NextToken")
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        after = decode_token(token, "terms", pool.id) if token else None
        if after is not None and not isinstance(after, str):
            raise InvalidParameterException("Invalid pagination token.")
        found = await branding_store.list_terms(conn, pool.id, after=after, limit=limit + 1)
    page = found[:limit]
    result: dict[str, Any] = {
        "Terms": [
            {
                "TermsId": item.id,
                "TermsName": item.name,
                "Enforcement": item.enforcement,
                "CreationDate": item.created_at,
                "LastModifiedDate": item.updated_at,
            }
            for item in page
        ]
    }
    if len(found) > limit:
        result["NextToken"] = encode_token("terms", pool.id, page[-1].id)
    return cast(shapes.ListTermsResponse, result)
