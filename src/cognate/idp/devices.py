"""Remembered-device operations: ConfirmDevice, GetDevice, ListDevices, UpdateDeviceStatus,
ForgetDevice and AdminGetDevice, AdminListDevices, AdminUpdateDeviceStatus, AdminForgetDevice.

Developer guide, "Working with user devices in your user pool". A sign-in in a pool with a
DeviceConfiguration issues a pending device (idp/device_auth.py); ConfirmDevice stores its SRP
verifier (encrypted: auth/device_srp.py) and makes it remembered at once, or, with
DeviceOnlyRememberedOnUserPrompt, after UpdateDeviceStatus "remembered". Only confirmed
devices are listed or found; a device key of another user is not found.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.auth import device_srp
from cognate.context import Context
from cognate.domain import device as device_rules
from cognate.domain.device import Device, RememberedStatus
from cognate.domain.pagination import decode_token, encode_token
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import (
    DeviceKeyExistsException,
    InvalidParameterException,
    ResourceNotFoundException,
    UserNotFoundException,
)
from cognate.idp import shapes
from cognate.idp.device_auth import DEVICE_NOT_FOUND
from cognate.idp.registry import idp
from cognate.idp.resources import require_pool
from cognate.idp.user_lookup import find_user
from cognate.store import devices as device_store
from cognate.tokens.access import authenticate_access_token, require_scope

_LISTING = "devices"
_MAX_LIMIT = 60


@idp.operation("ConfirmDevice")
async def confirm_device(
    ctx: Context, req: shapes.ConfirmDeviceRequest
) -> shapes.ConfirmDeviceResponse:
    """Store the verifier of a device issued at sign-in; UserConfirmationNecessary tells the
    client whether the user must still choose to remember it."""
    pool, user = await _signed_in(ctx, req.get("AccessToken"))
    config = req.get("DeviceSecretVerifierConfig")
    if not config:
        raise InvalidParameterException("Missing required parameter DeviceSecretVerifierConfig")
    salt, verifier = device_srp.parse_verifier_config(config)
    key = req["DeviceKey"]
    sealed_salt, sealed_verifier = device_srp.seal_verifier(ctx.secrets, key, salt, verifier)
    async with ctx.store.begin() as conn:
        device = await device_store.get_device(conn, user.id, key)
        if device is None:
            raise ResourceNotFoundException(DEVICE_NOT_FOUND)
        is_stored = await device_store.confirm(
            conn, user.id, key, salt=sealed_salt, verifier=sealed_verifier,
            name=req.get("DeviceName"), status=device_rules.status_after_confirm(pool.config),
            now=ctx.clock(),
        )  # fmt: skip
    if not is_stored:
        raise DeviceKeyExistsException("Device key already exists.")
    return {"UserConfirmationNecessary": device_rules.is_remembered_on_prompt(pool.config)}


@idp.operation("GetDevice")
async def get_device(ctx: Context, req: shapes.GetDeviceRequest) -> shapes.GetDeviceResponse:
    _pool, user = await _signed_in(ctx, req.get("AccessToken"))
    async with ctx.store.read() as conn:
        device = await _require_device(conn, user, req["DeviceKey"])
    return {"Device": device_rules.device_type(device)}  # type: ignore[typeddict-item]


@idp.operation("AdminGetDevice")
async def admin_get_device(
    ctx: Context, req: shapes.AdminGetDeviceRequest
) -> shapes.AdminGetDeviceResponse:
    async with ctx.store.read() as conn:
        user = await _admin_user(conn, req["UserPoolId"], req["Username"], is_declared=False)
        device = await _require_device(conn, user, req["DeviceKey"])
    return {"Device": device_rules.device_type(device)}  # type: ignore[typeddict-item]


@idp.operation("ListDevices")
async def list_devices(ctx: Context, req: shapes.ListDevicesRequest) -> shapes.ListDevicesResponse:
    _pool, user = await _signed_in(ctx, req["AccessToken"])
    async with ctx.store.read() as conn:
        answer = await _list(conn, user, req)
    return answer  # type: ignore[return-value]  # wire-shaped


@idp.operation("AdminListDevices")
async def admin_list_devices(
    ctx: Context, req: shapes.AdminListDevicesRequest
) -> shapes.AdminListDevicesResponse:
    async with ctx.store.read() as conn:
        user = await _admin_user(conn, req["UserPoolId"], req["Username"], is_declared=False)
        answer = await _list(conn, user, req)
    return answer  # type: ignore[return-value]  # wire-shaped


@idp.operation("UpdateDeviceStatus")
async def update_device_status(
    ctx: Context, req: shapes.UpdateDeviceStatusRequest
) -> shapes.UpdateDeviceStatusResponse:
    _pool, user = await _signed_in(ctx, req["AccessToken"])
    await _set_status(ctx, user, req["DeviceKey"], req.get("DeviceRememberedStatus"))
    return {}


@idp.operation("AdminUpdateDeviceStatus")
async def admin_update_device_status(
    ctx: Context, req: shapes.AdminUpdateDeviceStatusRequest
) -> shapes.AdminUpdateDeviceStatusResponse:
    async with ctx.store.read() as conn:
        user = await _admin_user(conn, req["UserPoolId"], req["Username"], is_declared=True)
    await _set_status(ctx, user, req["DeviceKey"], req.get("DeviceRememberedStatus"))
    return {}


@idp.operation("ForgetDevice")
async def forget_device(ctx: Context, req: shapes.ForgetDeviceRequest) -> None:
    """Forget a device: it no longer skips MFA and is listed nowhere, and the refresh tokens
    bound to it stop working (AWS blog "Tracking and remembering devices using Amazon Cognito
    Your User Pools": "the ForgetDevice API can be used to forget that specific device, and as
    a result, all future calls to revalidate that device's refresh tokens will fail"). Access
    tokens already issued stay valid until they expire, as Cognito's do."""
    _pool, user = await _signed_in(ctx, req.get("AccessToken"))
    await _forget(ctx, user, req["DeviceKey"])


@idp.operation("AdminForgetDevice")
async def admin_forget_device(ctx: Context, req: shapes.AdminForgetDeviceRequest) -> None:
    async with ctx.store.read() as conn:
        user = await _admin_user(conn, req["UserPoolId"], req["Username"], is_declared=True)
    await _forget(ctx, user, req["DeviceKey"])


async def _signed_in(ctx: Context, access_token: str | None) -> tuple[Pool, User]:
    if not access_token:
        raise InvalidParameterException("Missing required parameter AccessToken")
    grant = await authenticate_access_token(ctx, access_token)
    require_scope(grant)
    return grant.pool, grant.user


async def _admin_user(
    conn: AsyncConnection, pool_id: str, username: str, *, is_declared: bool
) -> User:
    """The user an admin operation names. AdminGetDevice and AdminListDevices declare no
    UserNotFoundException, so there an unknown user is a missing resource."""
    pool = await require_pool(conn, pool_id)
    user = await find_user(conn, pool, username)
    if user is None:
        if is_declared:
            raise UserNotFoundException("User does not exist.")
        raise ResourceNotFoundException("User does not exist.")
    return user


async def _require_device(conn: AsyncConnection, user: User, key: str) -> Device:
    device = await device_store.get_device(conn, user.id, key)
    if device is None or not device.is_confirmed:
        raise ResourceNotFoundException(DEVICE_NOT_FOUND)
    return device


async def _list(conn: AsyncConnection, user: User, req: Mapping[str, Any]) -> dict[str, Any]:
    limit = min(int(req.get("Limit") or _MAX_LIMIT), _MAX_LIMIT)
    scope = str(user.id)
    token = req.get("PaginationToken")
    after = decode_token(token, _LISTING, scope) if token else None
    if after is not None and not isinstance(after, str):
        raise InvalidParameterException("Invalid pagination token.")
    found = await device_store.list_devices(conn, user.id, after=after, limit=limit + 1)
    page = found[:limit]
    answer: dict[str, Any] = {"Devices": [device_rules.device_type(device) for device in page]}
    if len(found) > limit:
        answer["PaginationToken"] = encode_token(_LISTING, scope, page[-1].key)
    return answer


async def _set_status(ctx: Context, user: User, key: str, status: str | None) -> None:
    try:
        remembered = RememberedStatus(status or "")
    except ValueError:
        raise InvalidParameterException(
            "DeviceRememberedStatus must be remembered or not_remembered."
        ) from None
    async with ctx.store.begin() as conn:
        if not await device_store.set_status(conn, user.id, key, remembered, now=ctx.clock()):
            raise ResourceNotFoundException(DEVICE_NOT_FOUND)


async def _forget(ctx: Context, user: User, key: str) -> None:
    async with ctx.store.begin() as conn:
        if not await device_store.delete_device(conn, user.id, key):
            raise ResourceNotFoundException(DEVICE_NOT_FOUND)
        await device_store.end_refresh_tokens(conn, user.id, key, ctx.clock())
