"""App-client operations: create, describe, update, delete, list, and the client secrets.

A client created with GenerateSecret keeps its first secret as the ClientSecret that Describe
shows; AddUserPoolClientSecret adds a second one for rotation (at most two). Public clients
(created without a secret) cannot get one later: Cognito fixes a client's type at creation, so
AddUserPoolClientSecret refuses them with InvalidParameterException.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.client import (
    MAX_CLIENT_SECRETS,
    Client,
    client_config,
    client_secret_purpose,
    new_client_id,
    new_client_secret,
    new_client_secret_id,
)
from cognate.domain.pagination import decode_token, encode_token
from cognate.domain.pool import Pool
from cognate.errors import (
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.store import clients as client_store
from cognate.store.identity_providers import provider_names
from cognate.store.resource_servers import custom_scopes

_DEFAULT_PAGE = 60


async def require_client(
    conn: AsyncConnection, pool_id: str, client_id: str, *, for_update: bool = False
) -> Client:
    """The client `client_id` of pool `pool_id`; ResourceNotFoundException if there is none."""
    client = await client_store.get_client(conn, pool_id, client_id, for_update=for_update)
    if client is None:
        raise ResourceNotFoundException(f"User pool client {client_id} does not exist.")
    return client


async def _client_type(ctx: Context, conn: AsyncConnection, client: Client) -> dict[str, Any]:
    """The UserPoolClientType of `client`: ids, dates, the oldest secret, the configuration."""
    described: dict[str, Any] = {
        "UserPoolId": client.pool_id,
        "ClientName": client.name,
        "ClientId": client.id,
    }
    stored = await client_store.list_secrets(conn, client.id)
    if stored:
        described["ClientSecret"] = client_store.decrypt_secret(ctx.secrets, client.id, stored[0])
    described["LastModifiedDate"] = client.updated_at
    described["CreationDate"] = client.created_at
    described.update(client.config)
    return described


async def _config(
    conn: AsyncConnection, pool: Pool, request: Any, *, has_secret: bool
) -> dict[str, Any]:
    names = [attribute["Name"] for attribute in pool.schema]
    return client_config(
        request,
        pool_id=pool.id,
        attribute_names=names,
        has_secret=has_secret,
        custom_scopes=await custom_scopes(conn, pool.id),
        identity_providers=await provider_names(conn, pool.id),
    )


@idp.operation("CreateUserPoolClient")
async def create_user_pool_client(
    ctx: Context, req: shapes.CreateUserPoolClientRequest
) -> shapes.CreateUserPoolClientResponse:
    """Create a client; with GenerateSecret it gets the caller's ClientSecret or a new one."""
    has_secret = req.get("GenerateSecret", False)
    if "ClientSecret" in req and not has_secret:
        raise InvalidParameterException("ClientSecret can only be set when GenerateSecret is true.")
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        client = Client(
            id=new_client_id(),
            pool_id=pool.id,
            name=req["ClientName"],
            config=await _config(conn, pool, req, has_secret=has_secret),
            has_secret=has_secret,
            created_at=now,
            updated_at=now,
        )
        await client_store.insert_client(conn, client)
        if has_secret:
            value = req.get("ClientSecret") or new_client_secret()
            await client_store.insert_secret(
                conn,
                secret_id=new_client_secret_id(client.id),
                client_id=client.id,
                ciphertext=ctx.secrets.encrypt(value.encode(), client_secret_purpose(client.id)),
                now=now,
            )
        described = await _client_type(ctx, conn, client)
    return cast(shapes.CreateUserPoolClientResponse, {"UserPoolClient": described})


@idp.operation("DescribeUserPoolClient")
async def describe_user_pool_client(
    ctx: Context, req: shapes.DescribeUserPoolClientRequest
) -> shapes.DescribeUserPoolClientResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        client = await require_client(conn, pool.id, req["ClientId"])
        described = await _client_type(ctx, conn, client)
    return cast(shapes.DescribeUserPoolClientResponse, {"UserPoolClient": described})


@idp.operation("UpdateUserPoolClient")
async def update_user_pool_client(
    ctx: Context, req: shapes.UpdateUserPoolClientRequest
) -> shapes.UpdateUserPoolClientResponse:
    """Replace the client's settings. As in Cognito, every omitted setting returns to its
    default (ExplicitAuthFlows, token validities, URLs, OAuth settings…); only ClientName is
    kept when omitted, and the secrets are untouched."""
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        client = await require_client(conn, pool.id, req["ClientId"], for_update=True)
        config = await _config(conn, pool, req, has_secret=client.has_secret)
        name = req.get("ClientName", client.name)
        await client_store.update_client(conn, client.id, name=name, config=config, now=now)
        updated = await require_client(conn, pool.id, client.id)
        described = await _client_type(ctx, conn, updated)
    return cast(shapes.UpdateUserPoolClientResponse, {"UserPoolClient": described})


@idp.operation("DeleteUserPoolClient")
async def delete_user_pool_client(ctx: Context, req: shapes.DeleteUserPoolClientRequest) -> None:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        client = await require_client(conn, pool.id, req["ClientId"])
        await client_store.delete_client(conn, client.id)


@idp.operation("ListUserPoolClients")
async def list_user_pool_clients(
    ctx: Context, req: shapes.ListUserPoolClientsRequest
) -> shapes.ListUserPoolClientsResponse:
    """Clients by id, at most MaxResults (default 60) per page; NextToken is bound to the pool."""
    limit = req.get("MaxResults", _DEFAULT_PAGE)
    pool_id = req["UserPoolId"]
    after = decode_token(req["NextToken"], "clients", pool_id) if "NextToken" in req else None
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, pool_id)
        found = await client_store.list_clients(conn, pool.id, after=after, limit=limit + 1)
    page = found[:limit]
    result: dict[str, Any] = {
        "UserPoolClients": [
            {"ClientId": client.id, "UserPoolId": client.pool_id, "ClientName": client.name}
            for client in page
        ]
    }
    if len(found) > limit:
        result["NextToken"] = encode_token("clients", pool.id, page[-1].id)
    return cast(shapes.ListUserPoolClientsResponse, result)


@idp.operation("AddUserPoolClientSecret")
async def add_user_pool_client_secret(
    ctx: Context, req: shapes.AddUserPoolClientSecretRequest
) -> shapes.AddUserPoolClientSecretResponse:
    """Add a secret (the caller's ClientSecret or a new one) to a confidential client.

    The value is returned only here; List shows ids and dates.
    """
    now = ctx.clock()
    value = req.get("ClientSecret") or new_client_secret()
    secret_id = ""
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        client = await require_client(conn, pool.id, req["ClientId"], for_update=True)
        if not client.has_secret:
            raise InvalidParameterException(
                "Client secrets can only be added to a client that was created with a secret."
            )
        if len(await client_store.list_secrets(conn, client.id)) >= MAX_CLIENT_SECRETS:
            raise LimitExceededException(
                f"A client can have at most {MAX_CLIENT_SECRETS} client secrets."
            )
        secret_id = new_client_secret_id(client.id)
        await client_store.insert_secret(
            conn,
            secret_id=secret_id,
            client_id=client.id,
            ciphertext=ctx.secrets.encrypt(value.encode(), client_secret_purpose(client.id)),
            now=now,
        )
    descriptor = {
        "ClientSecretId": secret_id,
        "ClientSecretValue": value,
        "ClientSecretCreateDate": now,
    }
    return cast(shapes.AddUserPoolClientSecretResponse, {"ClientSecretDescriptor": descriptor})


@idp.operation("ListUserPoolClientSecrets")
async def list_user_pool_client_secrets(
    ctx: Context, req: shapes.ListUserPoolClientSecretsRequest
) -> shapes.ListUserPoolClientSecretsResponse:
    """Ids and creation dates of the client's secrets (never the values), oldest first.

    A client holds at most two, so there is only ever one page; any NextToken is refused.
    """
    if "NextToken" in req:
        decode_token(req["NextToken"], "client-secrets", req["ClientId"])
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        client = await require_client(conn, pool.id, req["ClientId"])
        stored = await client_store.list_secrets(conn, client.id)
    descriptors = [
        {"ClientSecretId": secret.id, "ClientSecretCreateDate": secret.created_at}
        for secret in stored
    ]
    return cast(shapes.ListUserPoolClientSecretsResponse, {"ClientSecrets": descriptors})


@idp.operation("DeleteUserPoolClientSecret")
async def delete_user_pool_client_secret(
    ctx: Context, req: shapes.DeleteUserPoolClientSecretRequest
) -> shapes.DeleteUserPoolClientSecretResponse:
    """Delete one secret; the last one is refused, since a confidential client needs one."""
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        client = await require_client(conn, pool.id, req["ClientId"], for_update=True)
        stored = await client_store.list_secrets(conn, client.id)
        if req["ClientSecretId"] not in {secret.id for secret in stored}:
            raise ResourceNotFoundException(
                f"Client secret {req['ClientSecretId']} does not exist."
            )
        if len(stored) == 1:
            raise InvalidParameterException("The last client secret of a client cannot be deleted.")
        await client_store.delete_secret(conn, client.id, req["ClientSecretId"])
    return {}
