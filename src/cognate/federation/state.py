"""The `state` of a round trip to an external provider: what brings the browser back to the
sign-in it started.

RFC 6749 §10.12 and RFC 9700 §4.7 (CSRF), OIDC Core §3.1.2.1 (nonce), RFC 7636 (PKCE). The
state is the original authorize request plus the provider, nonce and PKCE verifier, sealed
(AES-GCM under the master key, so the browser and the provider can read and change nothing),
expiring after Cognito's five minutes for the whole round trip (wave2-surface.md §1.2), and
bound to the browser that started it: it carries the keyed hash of a random cookie, so a state
taken from one browser does not finish a sign-in in another (login CSRF). It is accepted once:
its id is recorded as spent in the database, so a replay fails on any server of a cluster.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cognate.context import Context
from cognate.errors import OAuthError
from cognate.oauth.authorize import AuthorizeRequest
from cognate.store import federated_identities as identity_store

BROWSER_COOKIE = "cognate-federation"
LIFETIME = timedelta(minutes=5)
_PURPOSE = "federation-state"
_BROWSER_PURPOSE = "federation-browser"
BAD_STATE = "The sign-in request is not valid, was already used, or has expired. Start again."


@dataclass(frozen=True, slots=True, kw_only=True)
class Flight:
    """A sign-in away at a provider: the request to finish and what checks the answer."""

    id: str
    provider_name: str
    nonce: str
    verifier: str
    browser: str
    expires_at: int
    authorize: AuthorizeRequest


def browser_cookie(current: str | None) -> str:
    """The browser's binding value: the one it has, else a new one."""
    return current or secrets.token_urlsafe(32)


def new_flight(
    ctx: Context, authorize: AuthorizeRequest, provider_name: str, cookie: str
) -> Flight:
    """A new round trip for `authorize` through `provider_name`, bound to `cookie`."""
    return Flight(
        id=secrets.token_urlsafe(24),
        provider_name=provider_name,
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(48),
        browser=ctx.secrets.keyed_hash(cookie, _BROWSER_PURPOSE),
        expires_at=int((ctx.clock() + LIFETIME).timestamp()),
        authorize=authorize,
    )


def seal(ctx: Context, flight: Flight) -> str:
    """The `state` parameter carrying `flight`."""
    body = dataclasses.asdict(flight)
    sealed = ctx.secrets.encrypt(json.dumps(body, separators=(",", ":")).encode(), _PURPOSE)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def _unsealed(ctx: Context, text: str) -> dict[str, Any] | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body = json.loads(ctx.secrets.decrypt(raw, _PURPOSE))
    except (ValueError, binascii.Error):
        return None
    return body if isinstance(body, dict) else None


def is_sealed(ctx: Context, text: str) -> bool:
    """`text` is a state this server sealed (whether or not it is still acceptable)."""
    return bool(text) and _unsealed(ctx, text) is not None


def open_flight(ctx: Context, state: str | None, cookie: str | None) -> Flight:
    """The flight `state` carries, if it is intact, unexpired and from this browser; else
    OAuthError for the error page. It is not spent yet (see `spend`)."""
    body = _unsealed(ctx, state) if state else None
    if body is None:
        raise OAuthError("invalid_request", BAD_STATE)
    request = dict(body.pop("authorize"))
    request["scopes"] = tuple(request["scopes"])
    flight = Flight(**body, authorize=AuthorizeRequest(**request))
    if ctx.clock().timestamp() >= flight.expires_at:
        raise OAuthError("invalid_request", BAD_STATE)
    expected = ctx.secrets.keyed_hash(cookie, _BROWSER_PURPOSE) if cookie else ""
    if not hmac.compare_digest(expected, flight.browser):
        raise OAuthError("invalid_request", BAD_STATE)
    return flight


async def spend(ctx: Context, flight: Flight) -> None:
    """Mark the flight's state used; OAuthError if it was used before."""
    now = ctx.clock()
    expires_at = datetime.fromtimestamp(flight.expires_at, tz=now.tzinfo)
    async with ctx.store.begin() as conn:
        if not await identity_store.spend_state(conn, flight.id, expires_at=expires_at, now=now):
            raise OAuthError("invalid_request", BAD_STATE)
