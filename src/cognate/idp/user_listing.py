"""Listing users: ListUsers (filter, attribute selection, pagination) and GetCSVHeader."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from cognate.context import Context
from cognate.domain import user_filter
from cognate.domain.pagination import decode_token, encode_token
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.domain.user_import import csv_header
from cognate.errors import InvalidParameterException
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.users import user_type
from cognate.store import user_listing as listing_store

MAX_PAGE_SIZE = 60
"""The largest page any Cognito list operation returns, and the size when Limit is absent."""


def page_size(limit: int | None) -> int:
    """The page size for a request's Limit: absent or 0 means the maximum, 60."""
    return limit or MAX_PAGE_SIZE


def _listed(user: User, attributes_to_get: Collection[str] | None) -> shapes.UserType:
    """The UserType of `user` carrying only `attributes_to_get` when given (empty: none)."""
    described = user_type(user)
    if attributes_to_get is not None:
        described["Attributes"] = [
            attribute
            for attribute in described.get("Attributes", [])
            if attribute["Name"] in attributes_to_get
        ]
    return described


def _attribute_names(pool: Pool) -> set[str]:
    """Names AttributesToGet may ask for: the schema's, with dev-only ones as users carry them."""
    return {
        attribute["Name"].removeprefix("dev:")
        for attribute in pool.schema
        if isinstance(attribute.get("Name"), str)
    }


@idp.operation("ListUsers")
async def list_users(ctx: Context, req: shapes.ListUsersRequest) -> shapes.ListUsersResponse:
    limit = page_size(req.get("Limit"))
    parsed = user_filter.parse(req.get("Filter") or "")
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        attributes_to_get = req.get("AttributesToGet")
        if attributes_to_get is not None and not set(attributes_to_get) <= _attribute_names(pool):
            raise InvalidParameterException("One or more requested attributes do not exist.")
        token = req.get("PaginationToken")
        after = decode_token(token, "users", pool.id) if token else None
        if after is not None and (not isinstance(after, int) or isinstance(after, bool)):
            raise InvalidParameterException("Invalid pagination token.")
        found = await listing_store.list_users(conn, pool, parsed, after=after, limit=limit + 1)
    page = found[:limit]
    result: dict[str, Any] = {"Users": [_listed(user, attributes_to_get) for user in page]}
    if len(found) > limit:
        result["PaginationToken"] = encode_token("users", pool.id, page[-1].id)
    return result  # type: ignore[return-value]


@idp.operation("GetCSVHeader")
async def get_csv_header(
    ctx: Context, req: shapes.GetCSVHeaderRequest
) -> shapes.GetCSVHeaderResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
    return {"UserPoolId": pool.id, "CSVHeader": csv_header(pool)}
