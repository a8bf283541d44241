"""Resource server operations: Create/Describe/Update/Delete/ListResourceServers.

Developer guide, "Scopes, M2M, and APIs with resource servers": a resource server has an
Identifier unique within its pool and up to 100 scopes; app clients and the token endpoint name
them as `{Identifier}/{ScopeName}` (custom scopes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from cognate.context import Context
from cognate.domain.pagination import decode_token, encode_token
from cognate.errors import InvalidParameterException, ResourceNotFoundException
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.store import resource_servers as server_store
from cognate.store.resource_servers import ResourceServer

_MAX_PAGE = 50


def _type(server: ResourceServer) -> dict[str, Any]:
    """ResourceServerType."""
    return {
        "UserPoolId": server.pool_id,
        "Identifier": server.identifier,
        "Name": server.name,
        "Scopes": [dict(scope) for scope in server.scopes],
    }


def _scopes(
    requested: Sequence[shapes.ResourceServerScopeType] | None,
) -> tuple[Mapping[str, str], ...]:
    """The scopes of a request; a ScopeName given twice is refused as Cognito does."""
    scopes = tuple(
        {"ScopeName": scope["ScopeName"], "ScopeDescription": scope["ScopeDescription"]}
        for scope in requested or ()
    )
    names = [scope["ScopeName"] for scope in scopes]
    if len(set(names)) != len(names):
        raise InvalidParameterException("Duplicate scopes are not allowed.")
    return scopes


async def _require(ctx: Context, pool_id: str, identifier: str) -> ResourceServer:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, pool_id)
        server = await server_store.get_resource_server(conn, pool.id, identifier)
    if server is None:
        raise ResourceNotFoundException(f"Resource server {identifier} does not exist.")
    return server


@idp.operation("CreateResourceServer")
async def create_resource_server(
    ctx: Context, req: shapes.CreateResourceServerRequest
) -> shapes.CreateResourceServerResponse:
    scopes = _scopes(req.get("Scopes"))
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        server = ResourceServer(
            pool_id=pool.id, identifier=req["Identifier"], name=req["Name"], scopes=scopes
        )
        if not await server_store.insert_resource_server(conn, server):
            raise InvalidParameterException(
                f"{server.identifier} already exists in user pool {pool.id}."
            )
    return cast(shapes.CreateResourceServerResponse, {"ResourceServer": _type(server)})


@idp.operation("DescribeResourceServer")
async def describe_resource_server(
    ctx: Context, req: shapes.DescribeResourceServerRequest
) -> shapes.DescribeResourceServerResponse:
    server = await _require(ctx, req["UserPoolId"], req["Identifier"])
    return cast(shapes.DescribeResourceServerResponse, {"ResourceServer": _type(server)})


@idp.operation("UpdateResourceServer")
async def update_resource_server(
    ctx: Context, req: shapes.UpdateResourceServerRequest
) -> shapes.UpdateResourceServerResponse:
    """Replace the name and scopes; omitted Scopes means none (as Cognito's Update does)."""
    scopes = _scopes(req.get("Scopes"))
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        if await server_store.get_resource_server(conn, pool.id, req["Identifier"]) is None:
            raise ResourceNotFoundException(f"Resource server {req['Identifier']} does not exist.")
        await server_store.update_resource_server(
            conn, pool.id, req["Identifier"], name=req["Name"], scopes=scopes
        )
    server = ResourceServer(
        pool_id=pool.id, identifier=req["Identifier"], name=req["Name"], scopes=scopes
    )
    return cast(shapes.UpdateResourceServerResponse, {"ResourceServer": _type(server)})


@idp.operation("DeleteResourceServer")
async def delete_resource_server(ctx: Context, req: shapes.DeleteResourceServerRequest) -> None:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        if await server_store.get_resource_server(conn, pool.id, req["Identifier"]) is None:
            raise ResourceNotFoundException(f"Resource server {req['Identifier']} does not exist.")
        await server_store.delete_resource_server(conn, pool.id, req["Identifier"])


@idp.operation("ListResourceServers")
async def list_resource_servers(
    ctx: Context, req: shapes.ListResourceServersRequest
) -> shapes.ListResourceServersResponse:
    limit = min(req.get("MaxResults") or _MAX_PAGE, _MAX_PAGE)
    token = req.get("NextToken")
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        after = decode_token(token, "resource-servers", pool.id) if token else None
        if after is not None and not isinstance(after, str):
            raise InvalidParameterException("Invalid pagination token.")
        found = await server_store.list_resource_servers(
            conn, pool.id, after=after, limit=limit + 1
        )
    page = found[:limit]
    result: dict[str, Any] = {"ResourceServers": [_type(server) for server in page]}
    if len(found) > limit:
        result["NextToken"] = encode_token("resource-servers", pool.id, page[-1].identifier)
    return cast(shapes.ListResourceServersResponse, result)
