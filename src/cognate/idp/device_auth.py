"""Remembered devices in the sign-in: which device a request names, DEVICE_SRP_AUTH and
DEVICE_PASSWORD_VERIFIER, and the device a completed sign-in is bound to (cognito-surface.md
§9 "Remembered devices"; the maths in auth/device_srp.py, the step order in auth/flow.py).

A DEVICE_KEY that is not a device of the user answers ResourceNotFoundException "Device does
not exist.": amazon-cognito-identity-js then forgets its stored device and repeats the same
RespondToAuthChallenge without it, so the check runs before that step spends its SECRET_BLOCK.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from cognate import cpu
from cognate.auth import device_srp, flow, sessions, srp
from cognate.auth.flow import Challenge
from cognate.context import Context
from cognate.domain import device as device_rules
from cognate.domain.client import Client
from cognate.domain.device import Device
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    ResourceNotFoundException,
)
from cognate.idp.sign_in_subjects import lockout_attempt, open_session, session_subject
from cognate.idp.user_lookup import find_user
from cognate.store import devices as device_store
from cognate.store import sign_in as sign_in_store

DEVICE_NOT_FOUND = "Device does not exist."


async def claimed_device(ctx: Context, user: User | None, device_key: str | None) -> Device | None:
    """The user's device `device_key` names (None when no key was sent, or for a decoy).
    ResourceNotFoundException when the key is not one of the user's devices."""
    if not device_key or user is None:
        return None
    async with ctx.store.read() as conn:
        device = await device_store.get_device(conn, user.id, device_key)
    if device is None:
        raise ResourceNotFoundException(DEVICE_NOT_FOUND)
    return device


async def answer_device_srp_auth(
    ctx: Context, pool: Pool, client: Client, req: Mapping[str, Any]
) -> dict[str, Any]:
    """DEVICE_SRP_AUTH {USERNAME, DEVICE_KEY, SRP_A} + Session: DEVICE_PASSWORD_VERIFIER with
    B computed from the device's verifier, the SRP state sealed in SECRET_BLOCK."""
    responses: Mapping[str, str] = req.get("ChallengeResponses") or {}
    name = flow.required(responses, "USERNAME")
    device_key = flow.required(responses, "DEVICE_KEY")
    big_a = flow.parse_srp_a(flow.required(responses, "SRP_A"))
    session = _session(ctx, pool, client, req, Challenge.DEVICE_SRP_AUTH)
    subject = await session_subject(
        ctx, pool, client, session.username, name, responses.get("SECRET_HASH")
    )
    device = await _remembered(ctx, subject.user, device_key)
    salt, verifier = _open(ctx, device)
    small_b, big_b = srp.start(verifier)  # inline: one fixed-base g^b (srp.g_pow)
    now = ctx.clock()
    async with ctx.store.begin() as conn:
        await sessions.spend(conn, session, now=now)
    following = sessions.new_session(
        pool_id=pool.id, client_id=client.id, username=session.username,
        challenge=Challenge.DEVICE_PASSWORD_VERIFIER, now=now,
        validity=client.auth_session_validity,
        completed=(*session.completed, Challenge.DEVICE_SRP_AUTH.value),
        srp_a=big_a, srp_small_b=small_b, srp_big_b=big_b,
    )  # fmt: skip
    block = sessions.seal(ctx.secrets, following, sessions.SECRET_BLOCK_PURPOSE)
    parameters = device_srp.password_verifier_parameters(
        salt=salt, big_b=big_b, secret_block=block, username=session.username,
        device_key=device.key,
    )  # fmt: skip
    return {
        "ChallengeName": Challenge.DEVICE_PASSWORD_VERIFIER.value,
        # The SRP state rides in SECRET_BLOCK only: with it a Session would pass the model's
        # 2048 characters. Both name one session id, so spending one spends the other.
        "Session": sessions.seal(ctx.secrets, _without_srp(following), sessions.SESSION_PURPOSE),
        "ChallengeParameters": parameters,
    }


async def answer_device_password_verifier(
    ctx: Context, pool: Pool, client: Client, req: Mapping[str, Any]
) -> flow.Attempt:
    """DEVICE_PASSWORD_VERIFIER: the device's SRP proof, checked like PASSWORD_VERIFIER's and
    counted against the same lockout. Returns the attempt with the device proven."""
    responses: Mapping[str, str] = req.get("ChallengeResponses") or {}
    name = flow.required(responses, "USERNAME")
    device_key = flow.required(responses, "DEVICE_KEY")
    for parameter in ("PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"):
        flow.required(responses, parameter)
    session = open_session(
        ctx, pool, client, responses["PASSWORD_CLAIM_SECRET_BLOCK"],
        sessions.SECRET_BLOCK_PURPOSE, Challenge.DEVICE_PASSWORD_VERIFIER,
    )  # fmt: skip
    subject = await session_subject(
        ctx, pool, client, session.username, name, responses.get("SECRET_HASH")
    )
    device = await _remembered(ctx, subject.user, device_key)
    _salt, verifier = _open(ctx, device)
    now = ctx.clock()
    spend_session = partial(sessions.spend, session=session, now=now)
    async with lockout_attempt(ctx, pool, subject, also=spend_session):
        is_valid = await cpu.run(
            device_srp.claim_is_valid,
            verifier=verifier, group_key=device.group_key, device_key=device.key,
            session=session, responses=responses, now=ctx.clock(),
        )  # fmt: skip
        if not is_valid:
            raise NotAuthorizedException(flow.INCORRECT)
    async with ctx.store.begin() as conn:
        await sign_in_store.clear_failures(conn, pool_id=pool.id, subject=subject.lockout_key)
        current = await find_user(conn, pool, session.username)
    if current is None or subject.user is None or current.id != subject.user.id:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    return flow.Attempt(
        pool=pool, client=client, user=current,
        completed=(*session.completed, Challenge.DEVICE_PASSWORD_VERIFIER.value),
        client_metadata=req.get("ClientMetadata") or {}, device=device,
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInDevice:
    """The device a completed sign-in's tokens are bound to; `new_device` is the
    NewDeviceMetadata to answer when the sign-in issued it."""

    device_key: str | None
    new_device: dict[str, str] | None


async def settle_device(ctx: Context, attempt: flow.Attempt) -> SignInDevice:
    """Bind a completed sign-in to its device: the named one (its last sign-in and IP
    recorded), or, when the pool tracks devices, a new pending device issued to the user."""
    now = ctx.clock()
    if attempt.device is not None:
        async with ctx.store.begin() as conn:
            await device_store.touch(conn, attempt.device.key, source_ip=ctx.source_ip, now=now)
        return SignInDevice(device_key=attempt.device.key, new_device=None)
    if not device_rules.is_tracking(attempt.pool.config):
        return SignInDevice(device_key=None, new_device=None)
    key = device_rules.new_device_key(ctx.region)
    group_key = device_rules.new_group_key()
    async with ctx.store.begin() as conn:
        await device_store.insert_pending(
            conn, key=key, pool_id=attempt.pool.id, user_id=attempt.user.id,
            group_key=group_key, source_ip=ctx.source_ip, now=now,
        )  # fmt: skip
    return SignInDevice(device_key=key, new_device={"DeviceKey": key, "DeviceGroupKey": group_key})


def _without_srp(session: sessions.AuthSession) -> sessions.AuthSession:
    return dataclasses.replace(session, srp_a=None, srp_small_b=None, srp_big_b=None)


def _session(
    ctx: Context, pool: Pool, client: Client, req: Mapping[str, Any], challenge: str
) -> sessions.AuthSession:
    sealed = req.get("Session")
    if not sealed:
        raise InvalidParameterException("Missing required parameter Session")
    return open_session(ctx, pool, client, sealed, sessions.SESSION_PURPOSE, challenge)


async def _remembered(ctx: Context, user: User | None, device_key: str) -> Device:
    """The user's remembered device `device_key`; a device step for anything else fails."""
    if user is None:
        raise NotAuthorizedException(sessions.INVALID_SESSION)
    device = await claimed_device(ctx, user, device_key)
    if device is None or not device.is_remembered:
        raise NotAuthorizedException("Device is not remembered.")
    return device


def _open(ctx: Context, device: Device) -> tuple[bytes, int]:
    if device.salt is None or device.verifier is None:  # only a confirmed device is remembered
        raise NotAuthorizedException("Device is not remembered.")
    return device_srp.open_verifier(ctx.secrets, device.key, device.salt, device.verifier)
