"""Group operations: create, get, update, delete, list, and memberships.

Names and Precedence (>= 0) are checked by the model validator before a handler runs. Groups
list in name order; members in the order they joined the pool (user id).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.context import Context
from cognate.domain.pagination import decode_token, encode_token
from cognate.errors import InvalidParameterException, ResourceNotFoundException
from cognate.idp import shapes
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.user_listing import page_size
from cognate.idp.user_lookup import require_user
from cognate.idp.users import user_type
from cognate.store import groups as group_store
from cognate.store.groups import Group


def group_type(group: Group) -> dict[str, Any]:
    """The wire GroupType of `group` (absent optional fields are left out)."""
    return {
        "GroupName": group.name,
        "UserPoolId": group.pool_id,
        "Description": group.description,
        "RoleArn": group.role_arn,
        "Precedence": group.precedence,
        "LastModifiedDate": group.updated_at,
        "CreationDate": group.created_at,
    }


async def require_group(conn: AsyncConnection, pool_id: str, name: str) -> Group:
    """The group `name` of the pool; ResourceNotFoundException("Group not found.") if none."""
    group = await group_store.get_group(conn, pool_id, name)
    if group is None:
        raise ResourceNotFoundException("Group not found.")
    return group


def _after(token: str | None, listing: str, scope: str, kind: type[Any]) -> Any:
    """The last key of a NextToken (None without one); a token of another kind is refused."""
    if not token:
        return None
    after = decode_token(token, listing, scope)
    if not isinstance(after, kind) or isinstance(after, bool):
        raise InvalidParameterException("Invalid pagination token.")
    return after


@idp.operation("CreateGroup")
async def create_group(ctx: Context, req: shapes.CreateGroupRequest) -> shapes.CreateGroupResponse:
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        group = Group(
            pool_id=pool.id,
            name=req["GroupName"],
            description=req.get("Description"),
            role_arn=req.get("RoleArn"),
            precedence=req.get("Precedence"),
            created_at=now,
            updated_at=now,
        )
        await group_store.insert_group(conn, group)
    return {"Group": group_type(group)}  # type: ignore[typeddict-item]


@idp.operation("GetGroup")
async def get_group(ctx: Context, req: shapes.GetGroupRequest) -> shapes.GetGroupResponse:
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        group = await require_group(conn, pool.id, req["GroupName"])
    return {"Group": group_type(group)}  # type: ignore[typeddict-item]


@idp.operation("UpdateGroup")
async def update_group(ctx: Context, req: shapes.UpdateGroupRequest) -> shapes.UpdateGroupResponse:
    # Only the members the request carries change; an omitted one keeps its value.
    changes: dict[str, Any] = {
        field: req[member]  # type: ignore[literal-required]
        for member, field in (
            ("Description", "description"),
            ("RoleArn", "role_arn"),
            ("Precedence", "precedence"),
        )
        if req.get(member) is not None
    }
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        group = await require_group(conn, pool.id, req["GroupName"])
        group = dataclasses.replace(group, **changes, updated_at=ctx.clock())
        await group_store.update_group(conn, group)
    return {"Group": group_type(group)}  # type: ignore[typeddict-item]


@idp.operation("DeleteGroup")
async def delete_group(ctx: Context, req: shapes.DeleteGroupRequest) -> None:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        group = await require_group(conn, pool.id, req["GroupName"])
        await group_store.delete_group(conn, pool.id, group.name)


@idp.operation("ListGroups")
async def list_groups(ctx: Context, req: shapes.ListGroupsRequest) -> shapes.ListGroupsResponse:
    limit = page_size(req.get("Limit"))
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        after = _after(req.get("NextToken"), "groups", pool.id, str)
        found = await group_store.list_groups(conn, pool.id, after=after, limit=limit + 1)
    return _group_page(found, limit, "groups", pool.id)  # type: ignore[return-value]


@idp.operation("AdminAddUserToGroup")
async def admin_add_user_to_group(ctx: Context, req: shapes.AdminAddUserToGroupRequest) -> None:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        group = await require_group(conn, pool.id, req["GroupName"])
        user = await require_user(conn, pool, req["Username"])
        await group_store.add_member(conn, pool.id, group.name, user.id)


@idp.operation("AdminRemoveUserFromGroup")
async def admin_remove_user_from_group(
    ctx: Context, req: shapes.AdminRemoveUserFromGroupRequest
) -> None:
    async with ctx.store.begin() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        group = await require_group(conn, pool.id, req["GroupName"])
        user = await require_user(conn, pool, req["Username"])
        await group_store.remove_member(conn, pool.id, group.name, user.id)


@idp.operation("AdminListGroupsForUser")
async def admin_list_groups_for_user(
    ctx: Context, req: shapes.AdminListGroupsForUserRequest
) -> shapes.AdminListGroupsForUserResponse:
    limit = page_size(req.get("Limit"))
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        user = await require_user(conn, pool, req["Username"])
        # Scoped to the user's sub: a token for one user's groups cannot page another's.
        scope = f"{pool.id}/{user.sub}"
        after = _after(req.get("NextToken"), "user-groups", scope, str)
        found = await group_store.groups_of_user(
            conn, pool.id, user.id, after=after, limit=limit + 1
        )
    return _group_page(found, limit, "user-groups", scope)  # type: ignore[return-value]


@idp.operation("ListUsersInGroup")
async def list_users_in_group(
    ctx: Context, req: shapes.ListUsersInGroupRequest
) -> shapes.ListUsersInGroupResponse:
    limit = page_size(req.get("Limit"))
    async with ctx.store.read() as conn:
        pool = await require_pool(conn, req["UserPoolId"])
        group = await require_group(conn, pool.id, req["GroupName"])
        scope = f"{pool.id}/{group.name}"
        after = _after(req.get("NextToken"), "group-users", scope, int)
        found = await group_store.members(conn, pool.id, group.name, after=after, limit=limit + 1)
    page = found[:limit]
    result: dict[str, Any] = {"Users": [user_type(user) for user in page]}
    if len(found) > limit:
        result["NextToken"] = encode_token("group-users", scope, page[-1].id)
    return result  # type: ignore[return-value]


def _group_page(found: list[Group], limit: int, listing: str, scope: str) -> dict[str, Any]:
    """A Groups response of the first `limit` groups, with a NextToken when more were found."""
    page = found[:limit]
    result: dict[str, Any] = {"Groups": [group_type(group) for group in page]}
    if len(found) > limit:
        result["NextToken"] = encode_token(listing, scope, page[-1].name)
    return result
