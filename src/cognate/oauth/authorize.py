"""The authorize request: checking it, carrying it through the sign-in pages, completing it.

Developer guide, "The authorize endpoint", and RFC 6749 §4.1.1/§4.1.2.1 and §4.2: a request
whose client_id or redirect_uri is wrong is answered with an error page and never redirected
(the redirect_uri must equal a registered CallbackURL exactly: no prefix, case or port games,
RFC 9700 §4.1.3); any other problem is redirected back as `error=…` with the state. Scopes
follow Cognito's rules (domain/oauth.py), PKCE is S256 only; an
`identity_provider` or `idp_identifier` naming an external provider is federation's (the
hosted UI's authorize route hands it to federation/routes.py).

Between the pages the request travels sealed (AES-GCM under the master key, expiring): the
browser holds it but cannot change it. The SSO session is a sealed cookie per pool, checked
against the user's last GlobalSignOut, so a second authorize skips the form.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.oauth import authorize_scopes, check_code_challenge
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import OAuthError
from cognate.oauth.codes import issue_code
from cognate.store.clients import get_client
from cognate.store.pools import get_pool
from cognate.store.users import get_user_by_sub
from cognate.tokens.issue import HOSTED_AUTH, SignIn, issue_tokens

REQUEST_PURPOSE = "hosted-ui-authorize-request"
SSO_PURPOSE = "hosted-ui-sso"
STEP_PURPOSE = "hosted-ui-step"
REQUEST_LIFETIME = timedelta(hours=1)
SSO_LIFETIME = timedelta(hours=1)
"""Cognito's hosted-UI session cookie lasts one hour."""
_MAX_LANG = 35


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthorizeRequest:
    """A checked authorize request: everything needed to finish it after sign-in."""

    client_id: str
    redirect_uri: str
    response_type: str
    scopes: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    prompt_login: bool
    # OIDC Core §3.1.2.1 prompt=none: sign in silently from the SSO session or answer
    # login_required, never show a page (Cognito's "The authorize endpoint", prompt).
    prompt_none: bool = False
    # Managed login's `lang`, as given (bounded); the pages pick their language from it.
    lang: str | None = None


async def load_client(ctx: Context, client_id: str | None) -> tuple[Pool, Client]:
    """The client `client_id` and its pool, else OAuthError for the error page."""
    if not client_id:
        raise OAuthError("invalid_request", "client_id is missing.")
    async with ctx.store.read() as conn:
        client = await get_client(conn, None, client_id)
        pool = await get_pool(conn, client.pool_id) if client is not None else None
    if client is None or pool is None:
        raise OAuthError("invalid_client", "The client does not exist.")
    return pool, client


async def authorize_client(ctx: Context, params: Mapping[str, str]) -> tuple[Pool, Client, str]:
    """The pool, client and redirect_uri of a request, else OAuthError for the error page."""
    pool, client = await load_client(ctx, params.get("client_id"))
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri or redirect_uri not in client.callback_urls:
        raise OAuthError("redirect_mismatch", "The redirect_uri is not registered for the client.")
    return pool, client, redirect_uri


def authorize_request(
    client: Client, redirect_uri: str, params: Mapping[str, str]
) -> AuthorizeRequest:
    """The checked request, else OAuthError to redirect back to `redirect_uri`."""
    state = params.get("state")
    try:
        if not client.is_oauth_enabled:
            raise OAuthError("unauthorized_client")
        response_type = params.get("response_type")
        flow = {"code": "code", "token": "implicit"}.get(response_type or "")
        if flow is None:
            raise OAuthError("unsupported_response_type" if response_type else "invalid_request")
        if flow not in client.allowed_oauth_flows:
            raise OAuthError("unauthorized_client")
        scopes = authorize_scopes(params.get("scope"), client.allowed_oauth_scopes)
        challenge = check_code_challenge(
            params.get("code_challenge"), params.get("code_challenge_method")
        )
        prompts = set((params.get("prompt") or "").split())
        if "none" in prompts and len(prompts) > 1:
            raise OAuthError("invalid_request", "prompt=none allows no other value")
    except OAuthError as exc:
        raise RedirectError(exc.error, redirect_uri=redirect_uri, state=state) from exc
    return AuthorizeRequest(
        client_id=client.id,
        redirect_uri=redirect_uri,
        response_type=response_type or "",
        scopes=scopes,
        state=state,
        nonce=params.get("nonce"),
        code_challenge=challenge,
        prompt_login="login" in prompts,
        prompt_none="none" in prompts,
        lang=(params.get("lang") or "")[:_MAX_LANG] or None,
    )


class RedirectError(OAuthError):
    """An authorize error answered by redirecting to the (registered) redirect_uri."""

    def __init__(self, error: str, *, redirect_uri: str, state: str | None) -> None:
        super().__init__(error)
        self.location = with_parameters(redirect_uri, {"error": error, "state": state})


def with_parameters(
    uri: str, parameters: Mapping[str, str | None], *, fragment: bool = False
) -> str:
    """`uri` with `parameters` (None values left out) in its query, or as its fragment."""
    encoded = urlencode({name: value for name, value in parameters.items() if value is not None})
    if fragment:
        return f"{uri}#{encoded}"
    return f"{uri}{'&' if '?' in uri else '?'}{encoded}"


def _seal(ctx: Context, body: dict[str, object], purpose: str, lifetime: timedelta) -> str:
    body = {**body, "exp": int((ctx.clock() + lifetime).timestamp())}
    sealed = ctx.secrets.encrypt(json.dumps(body, separators=(",", ":")).encode(), purpose)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def _unseal(ctx: Context, text: str, purpose: str) -> dict[str, object] | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body = json.loads(ctx.secrets.decrypt(raw, purpose))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("exp"), int):
        return None
    return body if ctx.clock().timestamp() < body.pop("exp") else None


def seal_request(ctx: Context, request: AuthorizeRequest) -> str:
    """The request sealed for a hidden form field: tamper-proof, expiring after an hour."""
    return _seal(ctx, dataclasses.asdict(request), REQUEST_PURPOSE, REQUEST_LIFETIME)


def unseal_request(ctx: Context, text: str) -> AuthorizeRequest:
    """The request `seal_request` sealed; OAuthError invalid_request if altered or expired."""
    body = _unseal(ctx, text, REQUEST_PURPOSE)
    if body is None:
        raise OAuthError("invalid_request", "The sign-in request expired. Start again.")
    body["scopes"] = tuple(body["scopes"])  # type: ignore[arg-type]  # a list in JSON
    return AuthorizeRequest(**body)  # type: ignore[arg-type]  # our own sealed JSON


def seal_step(ctx: Context, body: Mapping[str, object], lifetime: timedelta) -> str:
    """A hosted-UI sign-in step's state (the engine's Session and what the page shows) sealed
    for a cookie: tamper-proof and expiring after `lifetime`."""
    return _seal(ctx, dict(body), STEP_PURPOSE, lifetime)


def unseal_step(ctx: Context, text: str) -> dict[str, object] | None:
    """The body `seal_step` sealed, or None if it was altered or has expired."""
    return _unseal(ctx, text, STEP_PURPOSE)


def sso_cookie_name(pool_id: str) -> str:
    """One SSO cookie per pool: signing in to one pool says nothing about another."""
    return f"cognate-sso-{pool_id}"


def seal_sso(ctx: Context, pool: Pool, user: User, auth_time: datetime) -> str:
    """The SSO cookie value for `user`, signed in at `auth_time`."""
    body: dict[str, object] = {
        "pool": pool.id,
        "sub": user.sub,
        "auth_time": int(auth_time.timestamp()),
    }
    return _seal(ctx, body, SSO_PURPOSE, SSO_LIFETIME)


async def sso_user(ctx: Context, pool: Pool, cookie: str | None) -> tuple[User, datetime] | None:
    """The user of a valid SSO cookie and when they signed in, else None. A user disabled,
    deleted or globally signed out since then has no session."""
    body = _unseal(ctx, cookie, SSO_PURPOSE) if cookie else None
    if body is None or body.get("pool") != pool.id:
        return None
    sub, auth_epoch = body.get("sub"), body.get("auth_time")
    if not isinstance(sub, str) or not isinstance(auth_epoch, int):
        return None
    async with ctx.store.read() as conn:
        user = await get_user_by_sub(conn, pool.id, sub)
    auth_time = datetime.fromtimestamp(auth_epoch, tz=ctx.clock().tzinfo)
    if user is None or not user.is_enabled:
        return None
    if user.tokens_valid_after is not None and auth_time < user.tokens_valid_after:
        return None
    return user, auth_time


async def complete(
    ctx: Context,
    pool: Pool,
    client: Client,
    request: AuthorizeRequest,
    user: User,
    auth_time: datetime,
) -> str:
    """Where to send the browser once `user` is signed in: the redirect_uri with a code
    (RFC 6749 §4.1.2) or, for the implicit grant, tokens in the fragment (§4.2.2)."""
    if request.response_type == "code":
        code = await issue_code(
            ctx,
            client=client,
            user=user,
            redirect_uri=request.redirect_uri,
            scopes=request.scopes,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            auth_time=auth_time,
        )
        return with_parameters(request.redirect_uri, {"code": code, "state": request.state})
    sign_in = SignIn(
        pool=pool,
        client=client,
        user=user,
        auth_time=auth_time,
        scopes=request.scopes,
        nonce=request.nonce,
        trigger_source=HOSTED_AUTH,
    )
    tokens = await issue_tokens(ctx, sign_in)
    fragment = {
        "id_token": tokens["IdToken"] if "openid" in request.scopes else None,
        "access_token": tokens["AccessToken"],
        "token_type": "Bearer",
        "expires_in": str(tokens["ExpiresIn"]),
        "state": request.state,
    }
    return with_parameters(request.redirect_uri, fragment, fragment=True)
