"""User-pool operations: create, describe, update, delete, list, custom attributes, certificate."""

from __future__ import annotations

import uuid
from typing import Any

import anyio

from cognate.context import Context
from cognate.domain.pagination import decode_token, encode_token
from cognate.domain.pool import (
    Pool,
    new_pool_config,
    new_pool_id,
    pool_arn,
    updated_pool_config,
)
from cognate.domain.schema import add_custom_attributes
from cognate.errors import InvalidParameterException
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.store import keys as key_store
from cognate.store import pools as pool_store
from cognate.tokens.certificate import new_signing_certificate


async def describe(ctx: Context, pool: Pool) -> dict[str, Any]:
    """The UserPoolType of `pool`: its stored configuration plus what Cognito computes."""
    async with ctx.store.read() as conn:
        user_count = await pool_store.count_users(conn, pool.id)
        pool_domains = await pool_store.pool_domains(conn, pool.id)
    described: dict[str, Any] = {
        **pool.config,
        "Id": pool.id,
        "Name": pool.name,
        "Arn": pool_arn(ctx.region, ctx.account_id, pool.id),
        "CreationDate": pool.created_at,
        "LastModifiedDate": pool.updated_at,
        "EstimatedNumberOfUsers": user_count,
    }
    for domain, config in pool_domains:
        described["CustomDomain" if config.get("CustomDomainConfig") else "Domain"] = domain
    return described


@idp.operation("CreateUserPool")
async def create_user_pool(
    ctx: Context, req: shapes.CreateUserPoolRequest
) -> shapes.CreateUserPoolResponse:
    now = ctx.clock()
    pool = Pool(
        id=new_pool_id(ctx.region),
        name=req["PoolName"],
        config=new_pool_config(req),
        created_at=now,
        updated_at=now,
    )
    async with ctx.store.begin() as conn:
        await pool_store.insert_pool(conn, pool)
    return {"UserPool": await describe(ctx, pool)}  # type: ignore[typeddict-item]


@idp.operation("DescribeUserPool")
async def describe_user_pool(
    ctx: Context, req: shapes.DescribeUserPoolRequest
) -> shapes.DescribeUserPoolResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
    return {"UserPool": await describe(ctx, pool)}  # type: ignore[typeddict-item]


@idp.operation("UpdateUserPool")
async def update_user_pool(
    ctx: Context, req: shapes.UpdateUserPoolRequest
) -> shapes.UpdateUserPoolResponse:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        config = updated_pool_config(pool.config, req)
        name = req.get("PoolName") or pool.name
        await pool_store.update_pool(conn, pool.id, name=name, config=config, now=ctx.clock())
    return {}


@idp.operation("DeleteUserPool")
async def delete_user_pool(ctx: Context, req: shapes.DeleteUserPoolRequest) -> None:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        if pool.is_deletion_protected:
            raise InvalidParameterException(
                "The user pool cannot be deleted because deletion protection is activated. "
                "Deletion protection must be inactivated first."
            )
        await pool_store.delete_pool(conn, pool.id)


@idp.operation("ListUserPools")
async def list_user_pools(
    ctx: Context, req: shapes.ListUserPoolsRequest
) -> shapes.ListUserPoolsResponse:
    limit = req["MaxResults"]
    after = decode_token(req["NextToken"], "pools", "") if req.get("NextToken") else None
    async with ctx.store.read() as conn:
        found = await pool_store.list_pools(conn, after=after, limit=limit + 1)
    page = found[:limit]
    result: dict[str, Any] = {
        "UserPools": [
            {
                "Id": pool.id,
                "Name": pool.name,
                "LambdaConfig": pool.config.get("LambdaConfig", {}),
                "LastModifiedDate": pool.updated_at,
                "CreationDate": pool.created_at,
            }
            for pool in page
        ]
    }
    if len(found) > limit:
        result["NextToken"] = encode_token("pools", "", page[-1].id)
    return result  # type: ignore[return-value]


@idp.operation("AddCustomAttributes")
async def add_custom_attributes_op(
    ctx: Context, req: shapes.AddCustomAttributesRequest
) -> shapes.AddCustomAttributesResponse:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        schema = add_custom_attributes(pool.schema, req["CustomAttributes"])
        config = {**pool.config, "SchemaAttributes": schema}
        await pool_store.update_pool(conn, pool.id, name=pool.name, config=config, now=ctx.clock())
    return {}


@idp.operation("GetSigningCertificate")
async def get_signing_certificate(
    ctx: Context, req: shapes.GetSigningCertificateRequest
) -> shapes.GetSigningCertificateResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        certificate = await key_store.current_certificate(conn, pool.id, "saml")
    if certificate is None:
        certificate = await create_signing_certificate(ctx, pool.id)
    return {"Certificate": certificate}


async def create_signing_certificate(ctx: Context, pool_id: str) -> str:
    """Make the pool's certificate on first use; two first calls racing keep the first one.
    Also the SAML service provider's key (federation/saml.py signs AuthnRequests with it)."""
    now = ctx.clock()
    private_pem, certificate = await anyio.to_thread.run_sync(new_signing_certificate, pool_id, now)
    async with ctx.store.begin() as conn:
        existing = await key_store.current_certificate(conn, pool_id, "saml")
        if existing is not None:
            return existing
        await key_store.insert_key(
            conn,
            kid=str(uuid.uuid4()),
            pool_id=pool_id,
            purpose="saml",
            private_key=ctx.secrets.encrypt(private_pem, "signing-key"),
            certificate=certificate,
            now=now,
        )
    return certificate
