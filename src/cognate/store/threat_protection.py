"""Queries of threat protection: risk configurations and auth events.

A passed sign-in's event is written in the refresh token's transaction, under the tokens'
`event_id` (tokens/issue.py takes it from `pending_event`), so a successful sign-in costs no
extra transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from cognate.store.tables import auth_events, risk_configurations

POOL_LEVEL = ""
"""The `client_id` of a pool's own risk configuration."""

_risk = risk_configurations.c
_events = auth_events.c


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskConfiguration:
    """A stored SetRiskConfiguration: the three wire-shaped members given, and when."""

    client_id: str
    config: Mapping[str, Any]
    updated_at: datetime


async def risk_configurations_for(
    conn: AsyncConnection, pool_id: str, client_id: str | None
) -> tuple[RiskConfiguration | None, RiskConfiguration | None]:
    """The pool's configuration and the client's (None where there is none), in one query."""
    wanted = [POOL_LEVEL] if client_id is None else [POOL_LEVEL, client_id]
    query = risk_configurations.select().where(
        _risk.pool_id == pool_id, _risk.client_id.in_(wanted)
    )
    found = {
        row.client_id: RiskConfiguration(
            client_id=row.client_id, config=row.config, updated_at=row.updated_at
        )
        for row in await conn.execute(query)
    }
    return found.get(POOL_LEVEL), (found.get(client_id) if client_id else None)


async def put_risk_configuration(
    conn: AsyncConnection,
    pool_id: str,
    client_id: str,
    config: Mapping[str, Any] | None,
    *,
    now: datetime,
) -> None:
    """Replace the configuration of the pool (client_id POOL_LEVEL) or a client; None
    deletes it (the pool's defaults, or the client inherits the pool's)."""
    await conn.execute(
        risk_configurations.delete().where(_risk.pool_id == pool_id, _risk.client_id == client_id)
    )
    if config is not None:
        await conn.execute(
            risk_configurations.insert().values(
                pool_id=pool_id, client_id=client_id, config=dict(config), updated_at=now
            )
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthEvent:
    """One auth event, as AdminListUserAuthEvents shows it (AuthEventType)."""

    pool_id: str
    user_sub: str
    event_id: str
    event_type: str
    response: str
    risk: Mapping[str, Any]
    context: Mapping[str, Any]
    challenge_responses: Sequence[Mapping[str, str]]
    created_at: datetime
    feedback: Mapping[str, Any] | None = None
    seq: int = 0


async def insert_event(conn: AsyncConnection, event: AuthEvent) -> None:
    """Record `event`."""
    await conn.execute(
        auth_events.insert().values(
            pool_id=event.pool_id,
            user_sub=event.user_sub,
            event_id=event.event_id,
            event_type=event.event_type,
            response=event.response,
            risk=dict(event.risk),
            context=dict(event.context),
            challenge_responses=[dict(item) for item in event.challenge_responses],
            feedback=None,
            created_at=event.created_at,
        )
    )


async def list_events(
    conn: AsyncConnection, pool_id: str, user_sub: str, *, before: int | None, limit: int
) -> list[AuthEvent]:
    """Up to `limit` of the user's events, newest first, older than `seq` `before`."""
    query = (
        auth_events.select()
        .where(_events.pool_id == pool_id, _events.user_sub == user_sub)
        .order_by(_events.seq.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(_events.seq < before)
    return [_auth_event(row) for row in await conn.execute(query)]


def _auth_event(row: sa.Row[Any]) -> AuthEvent:
    return AuthEvent(
        pool_id=row.pool_id,
        user_sub=row.user_sub,
        event_id=row.event_id,
        event_type=row.event_type,
        response=row.response,
        risk=row.risk,
        context=row.context,
        challenge_responses=row.challenge_responses,
        created_at=row.created_at,
        feedback=row.feedback,
        seq=row.seq,
    )


async def set_feedback(
    conn: AsyncConnection, pool_id: str, user_sub: str, event_id: str, feedback: Mapping[str, Any]
) -> bool:
    """Record feedback on the user's event `event_id`; False if the user has no such event."""
    result = await conn.execute(
        auth_events.update()
        .where(
            _events.pool_id == pool_id,
            _events.user_sub == user_sub,
            _events.event_id == event_id,
        )
        .values(feedback=dict(feedback))
    )
    return bool(result.rowcount)


@dataclass
class PendingEvent:
    """A passed sign-in's event, written with its tokens (`pending_event`).

    `is_stored`: already recorded as InProgress, because a challenge followed the password
    (`record_in_progress`); the tokens then only mark it passed, adding an MFA success when
    `after_mfa` (the challenge answered was an MFA code).
    """

    event: AuthEvent
    is_done: bool = field(default=False)
    is_stored: bool = field(default=False)
    after_mfa: bool = field(default=False)


_pending: ContextVar[PendingEvent | None] = ContextVar("pending_auth_event", default=None)


def expect_tokens(event: AuthEvent) -> None:
    """Have the tokens this request issues to `event`'s user carry its id and record it."""
    _pending.set(PendingEvent(event=event))


IN_PROGRESS = "InProgress"
_MFA_PASSED = {"ChallengeName": "Mfa", "ChallengeResponse": "Success"}


async def record_in_progress(conn: AsyncConnection, pending: PendingEvent) -> None:
    """Write the pending event now, as InProgress: a challenge follows, and its tokens (if the
    sign-in gets that far) come in a later request, which `resume` prepares."""
    await insert_event(conn, replace(pending.event, response=IN_PROGRESS))
    pending.is_stored = True


def resume(pool_id: str, user_sub: str, event_id: str, *, after_mfa: bool, now: datetime) -> None:
    """Have this request's tokens for the user mark the stored event `event_id` passed (the
    Session answered carried it)."""
    event = AuthEvent(
        pool_id=pool_id, user_sub=user_sub, event_id=event_id, event_type="SignIn",
        response=IN_PROGRESS, risk={}, context={}, challenge_responses=(), created_at=now,
    )  # fmt: skip
    _pending.set(PendingEvent(event=event, is_stored=True, after_mfa=after_mfa))


async def write_pending(conn: AsyncConnection, pending: PendingEvent) -> None:
    """Record a passed sign-in's event in the tokens' transaction: insert it, or mark the
    InProgress one passed."""
    if not pending.is_stored:
        await insert_event(conn, pending.event)
        return
    event = pending.event
    where = (
        auth_events.c.pool_id == event.pool_id,
        auth_events.c.user_sub == event.user_sub,
        auth_events.c.event_id == event.event_id,
    )
    found = (await conn.execute(sa.select(auth_events.c.challenge_responses).where(*where))).first()
    if found is None:
        return  # pruned with its user meanwhile: nothing to mark
    challenges = list(found.challenge_responses)
    if pending.after_mfa:
        challenges.append(_MFA_PASSED)
    await conn.execute(
        auth_events.update().where(*where).values(response="Pass", challenge_responses=challenges)
    )


def pending_event(pool_id: str, user_sub: str) -> PendingEvent | None:
    """The event `expect_tokens` left for tokens of this user, if any and not yet written.
    The caller writes it in its transaction and sets `is_done` once that has committed."""
    pending = _pending.get()
    if pending is None or pending.is_done:
        return None
    if pending.event.pool_id != pool_id or pending.event.user_sub != user_sub:
        return None
    return pending
