"""Browser endpoints: /oauth2/authorize, /login and /logout (developer guide, "The authorize
endpoint", "The login endpoint", "The logout endpoint").

Every answer to a POST is a 303 (RFC 9700 §4.12: a 307 would replay the credentials to the
client); links and redirects come from the registered URIs and `ctx.base_url`, never from the
Host header (security-test-plan.md G83).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from cognate.auth.flow import Challenge
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.errors import CognitoError, OAuthError
from cognate.hosted_ui import pages
from cognate.hosted_ui.sign_in import check_password
from cognate.oauth.authorize import (
    AuthorizeRequest,
    RedirectError,
    authorize_client,
    authorize_request,
    complete,
    load_client,
    seal_request,
    seal_sso,
    sso_cookie_name,
    sso_user,
    unseal_request,
)
from cognate.oauth.protocol import read_form

_log = logging.getLogger(__name__)
_MESSAGES = {
    "invalid_client": "This application is not known.",
    "redirect_mismatch": "The application asked to return to an address it has not registered.",
}


def _redirect(location: str, status_code: int = 302) -> RedirectResponse:
    response = RedirectResponse(location, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def _problem(exc: OAuthError) -> Response:
    if isinstance(exc, RedirectError):
        return _redirect(exc.location)
    return pages.error_page(exc.error, _MESSAGES.get(exc.error, exc.description or exc.error))


def _login_form(
    ctx: Context,
    request: Request,
    authorize: AuthorizeRequest,
    *,
    error: str | None = None,
    username: str = "",
    status_code: int = 200,
) -> Response:
    csrf, new_cookie = pages.csrf_token(ctx, request)
    response = pages.render(
        "login.html",
        status_code=status_code,
        action=f"{ctx.base_url}/login",
        sealed_request=seal_request(ctx, authorize),
        csrf=csrf,
        error=error,
        username=username,
    )
    if new_cookie is not None:
        pages.set_csrf_cookie(ctx, response, new_cookie)
    return response


async def _checked(
    ctx: Context, params: Mapping[str, str]
) -> tuple[Pool, Client, AuthorizeRequest]:
    pool, client, redirect_uri = await authorize_client(ctx, params)
    return pool, client, authorize_request(client, redirect_uri, params)


def hosted_ui_routes(ctx: Context) -> list[Route]:
    """GET /oauth2/authorize, GET/POST /login, GET /logout."""

    async def authorize(request: Request) -> Response:
        """Skip the form when the pool's SSO cookie is valid (unless prompt=login)."""
        try:
            pool, client, checked = await _checked(ctx, request.query_params)
            session = await sso_user(ctx, pool, request.cookies.get(sso_cookie_name(pool.id)))
            if session is None or checked.prompt_login:
                query = urlencode(list(request.query_params.multi_items()))
                return _redirect(f"{ctx.base_url}/login?{query}")
            return _redirect(await complete(ctx, pool, client, checked, *session))
        except OAuthError as exc:
            return _problem(exc)

    async def login_page(request: Request) -> Response:
        try:
            _pool, _client, checked = await _checked(ctx, request.query_params)
        except OAuthError as exc:
            return _problem(exc)
        return _login_form(ctx, request, checked)

    async def login(request: Request) -> Response:
        try:
            form = await read_form(request)
            if not pages.is_csrf_valid(ctx, request, form.get(pages.CSRF_FIELD)):
                return pages.error_page("invalid_request", "The form expired.", status_code=403)
            checked = unseal_request(ctx, form.get("request", ""))
            params = {"client_id": checked.client_id, "redirect_uri": checked.redirect_uri}
            pool, client, _redirect_uri = await authorize_client(ctx, params)
            return await _sign_in(ctx, request, pool, client, checked, form)
        except OAuthError as exc:
            return _problem(exc)

    async def logout(request: Request) -> Response:
        """Clear the SSO cookie, then go to a registered LogoutURL (or back to sign-in)."""
        params = request.query_params
        try:
            pool, _client, location = await _logout_target(ctx, params)
        except OAuthError as exc:
            return _problem(exc)
        response = _redirect(location)
        response.delete_cookie(
            sso_cookie_name(pool.id), path="/", secure=pages.is_secure(ctx), httponly=True
        )
        return response

    return [
        Route("/oauth2/authorize", authorize, methods=["GET"]),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["GET"]),
    ]


async def _sign_in(
    ctx: Context,
    request: Request,
    pool: Pool,
    client: Client,
    checked: AuthorizeRequest,
    form: Mapping[str, str],
) -> Response:
    """Check the credentials; on success set the SSO cookie and 303 to the redirect_uri."""
    username, password = form.get("username", "").strip(), form.get("password", "")
    if not username or not password:
        return _login_form(ctx, request, checked, error="Enter your username and password.",
                           username=username, status_code=400)  # fmt: skip
    try:
        user, challenge = await check_password(ctx, pool, client, username, password)
    except CognitoError as exc:
        return _login_form(ctx, request, checked, error=exc.message or exc.name,
                           username=username, status_code=400)  # fmt: skip
    if challenge is not None:
        # Issue 7 follow-up: the new-password and MFA steps of the hosted UI.
        step = "set a new password" if challenge == Challenge.NEW_PASSWORD_REQUIRED else challenge
        return pages.error_page(
            "unsupported_step", f"This account must {step}, which this page cannot do yet."
        )
    now = ctx.clock()
    response = _redirect(await complete(ctx, pool, client, checked, user, now), status_code=303)
    response.set_cookie(
        sso_cookie_name(pool.id),
        seal_sso(ctx, pool, user, now),
        httponly=True,
        samesite="lax",
        secure=pages.is_secure(ctx),
        path="/",
    )
    return response


async def _logout_target(ctx: Context, params: Mapping[str, str]) -> tuple[Pool, Client, str]:
    """The pool, client and where /logout sends the browser; OAuthError for the error page."""
    logout_uri = params.get("logout_uri")
    if logout_uri is None and params.get("redirect_uri"):
        pool, client, _checked_request = await _checked(ctx, params)
        return pool, client, f"{ctx.base_url}/login?{urlencode(dict(params))}"
    pool, client = await load_client(ctx, params.get("client_id"))
    if not logout_uri or logout_uri not in client.logout_urls:
        raise OAuthError("redirect_mismatch", "The logout_uri is not registered for the client.")
    return pool, client, logout_uri
