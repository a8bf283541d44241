"""User-pool domain operations: create, describe, update, delete.

A pool has at most one prefix domain and one custom domain; a domain name belongs to one pool
across the whole server. A custom domain is marked by CustomDomainConfig in its stored
configuration, which is what DescribeUserPool reads to report Domain or CustomDomain.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from cognate.context import Context
from cognate.domain.user_pool_domain import PoolDomain, domain_config
from cognate.errors import InvalidParameterException
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.store import clients as client_store


def _result(domain: PoolDomain) -> dict[str, Any]:
    """What Create/UpdateUserPoolDomain answer: CloudFrontDomain only for a custom domain."""
    result: dict[str, Any] = {"ManagedLoginVersion": domain.config["ManagedLoginVersion"]}
    if domain.is_custom:
        result["CloudFrontDomain"] = domain.config["CloudFrontDistribution"]
    return result


@idp.operation("CreateUserPoolDomain")
async def create_user_pool_domain(
    ctx: Context, req: shapes.CreateUserPoolDomainRequest
) -> shapes.CreateUserPoolDomainResponse:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        if await client_store.get_domain(conn, req["Domain"]) is not None:
            raise InvalidParameterException("Domain already associated with another user pool.")
        domain = PoolDomain(
            domain=req["Domain"],
            pool_id=pool.id,
            config=domain_config(req["Domain"], req),
            created_at=ctx.clock(),
        )
        for existing in await client_store.pool_domains(conn, pool.id):
            if existing.is_custom == domain.is_custom:
                raise InvalidParameterException(
                    f"User pool {pool.id} already has a domain configured."
                )
        await client_store.insert_domain(conn, domain)
    return cast(shapes.CreateUserPoolDomainResponse, _result(domain))


@idp.operation("DescribeUserPoolDomain")
async def describe_user_pool_domain(
    ctx: Context, req: shapes.DescribeUserPoolDomainRequest
) -> shapes.DescribeUserPoolDomainResponse:
    """The domain's description; as Cognito, an unknown domain gives an empty description."""
    async with ctx.store.read() as conn:
        domain = await client_store.get_domain(conn, req["Domain"])
    if domain is None:
        return {"DomainDescription": {}}
    description: dict[str, Any] = {
        "UserPoolId": domain.pool_id,
        "AWSAccountId": ctx.account_id,
        "Domain": domain.domain,
        "CloudFrontDistribution": domain.config["CloudFrontDistribution"],
        "Version": domain.created_at.strftime("%Y%m%d%H%M%S"),
        "Status": "ACTIVE",
        "ManagedLoginVersion": domain.config["ManagedLoginVersion"],
    }
    if domain.is_custom:
        description["CustomDomainConfig"] = domain.config["CustomDomainConfig"]
    return cast(shapes.DescribeUserPoolDomainResponse, {"DomainDescription": description})


@idp.operation("UpdateUserPoolDomain")
async def update_user_pool_domain(
    ctx: Context, req: shapes.UpdateUserPoolDomainRequest
) -> shapes.UpdateUserPoolDomainResponse:
    """Change a domain's ManagedLoginVersion or (custom domains) certificate; omitted ones stay."""
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        domain = await client_store.get_domain(conn, req["Domain"])
        if domain is None or domain.pool_id != pool.id:
            raise InvalidParameterException("No such domain or user pool exists.")
        config = domain_config(domain.domain, req, domain.config)
        await client_store.update_domain(conn, domain.domain, config)
    return cast(shapes.UpdateUserPoolDomainResponse, _result(replace(domain, config=config)))


@idp.operation("DeleteUserPoolDomain")
async def delete_user_pool_domain(
    ctx: Context, req: shapes.DeleteUserPoolDomainRequest
) -> shapes.DeleteUserPoolDomainResponse:
    """Delete the pool's domain; a domain of another pool is refused like an unknown one."""
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        domain = await client_store.get_domain(conn, req["Domain"])
        if domain is None or domain.pool_id != pool.id:
            raise InvalidParameterException("No such domain or user pool exists.")
        await client_store.delete_domain(conn, domain.domain)
    return {}
