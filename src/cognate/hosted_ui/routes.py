"""Browser endpoints: /oauth2/authorize, /login and /logout (developer guide, "The authorize
endpoint", "The login endpoint", "The logout endpoint").

Every answer to a POST is a 303 (RFC 9700 §4.12: a 307 would replay the credentials to the
client); links and redirects come from the registered URIs and `ctx.base_url`, never from the
Host header (security-test-plan.md G83).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.errors import CognitoError, OAuthError
from cognate.hosted_ui import pages
from cognate.hosted_ui.account_routes import NOTICES, account_routes
from cognate.hosted_ui.forms import PageRequest, from_post, from_query, problem
from cognate.hosted_ui.login_form import login_form
from cognate.hosted_ui.passkey_routes import passkey_routes
from cognate.hosted_ui.sign_in import check_password
from cognate.hosted_ui.step_routes import after_step, step_routes
from cognate.oauth.authorize import (
    authorize_client,
    authorize_request,
    complete,
    load_client,
    sso_cookie_name,
    sso_user,
    with_parameters,
)
from cognate.oauth.protocol import read_form

_log = logging.getLogger(__name__)

Federate = Callable[[Request, PageRequest], Awaitable[Response]]
"""Sends an authorize request naming an external provider there (federation/routes.py, wired
by app.py; without it such a request gets the error page)."""

SignOut = Callable[[Request, Pool, str], Awaitable[Response | None]]
"""Single logout at the SAML provider the SSO session came from (federation/saml_logout.py,
wired by app.py): the redirect to the IdP, which brings the browser back to the given
location, or None when /logout goes there itself."""


def hosted_ui_routes(
    ctx: Context, *, federate: Federate | None = None, sign_out: SignOut | None = None
) -> list[Route]:
    """GET /oauth2/authorize, GET/POST /login, GET /logout."""

    async def authorize(request: Request) -> Response:
        """Go to the external provider the request names; else skip the form when the pool's
        SSO cookie is valid (unless prompt=login); prompt=none never shows the form."""
        try:
            page = await from_query(ctx, request.query_params)
            pool, client, checked = page.pool, page.client, page.authorize
            provider = request.query_params.get("identity_provider") or "COGNITO"
            if request.query_params.get("idp_identifier") or provider != "COGNITO":
                if federate is None:
                    raise OAuthError("invalid_request", "The identity provider does not exist.")
                return await federate(request, page)
            session = await sso_user(ctx, pool, request.cookies.get(sso_cookie_name(pool.id)))
            if checked.prompt_none and session is None:
                return pages.redirect(with_parameters(checked.redirect_uri, {
                    "error": "login_required", "state": checked.state,
                }))  # fmt: skip
            if session is None or checked.prompt_login:
                query = urlencode(list(request.query_params.multi_items()))
                return pages.redirect(f"{ctx.base_url}/login?{query}")
            return pages.redirect(await complete(ctx, pool, client, checked, *session))
        except OAuthError as exc:
            return problem(exc)

    async def authorize_post(request: Request) -> Response:
        """OIDC Core §3.1.2.1: the authorization request may be a form POST; it is answered
        as the same request made with GET (a 303 to it)."""
        try:
            form = await read_form(request)
        except OAuthError as exc:
            return problem(exc)
        return pages.redirect(f"{ctx.base_url}/oauth2/authorize?{urlencode(form)}", 303)

    async def login_page(request: Request) -> Response:
        try:
            page = await from_query(ctx, request.query_params)
        except OAuthError as exc:
            return problem(exc)
        notice = NOTICES.get(request.query_params.get("notice", ""))
        return login_form(ctx, request, page, notice=notice)

    async def login(request: Request) -> Response:
        try:
            page = await from_post(ctx, request)
        except OAuthError as exc:
            return problem(exc)
        return await _sign_in(ctx, request, page)

    async def logout(request: Request) -> Response:
        """Clear the SSO cookie, then go to a registered LogoutURL (or back to sign-in), by way
        of the SAML IdP's single logout when the session came from one (`sign_out`)."""
        params = request.query_params
        try:
            pool, _client, location = await _logout_target(ctx, params)
        except OAuthError as exc:
            return problem(exc)
        at_idp = await sign_out(request, pool, location) if sign_out is not None else None
        response = at_idp or pages.redirect(location)
        response.delete_cookie(
            sso_cookie_name(pool.id), path="/", secure=pages.is_secure(ctx), httponly=True
        )
        return response

    return [
        Route("/oauth2/authorize", authorize, methods=["GET"]),
        Route("/oauth2/authorize", authorize_post, methods=["POST"]),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["GET"]),
        *step_routes(ctx),
        *passkey_routes(ctx),
        *account_routes(ctx),
        *pages.logo_routes(ctx),
    ]


async def _sign_in(ctx: Context, request: Request, page: PageRequest) -> Response:
    """Check the credentials; then the engine's next step's page, or (none left) the SSO
    cookie and a 303 to the redirect_uri with the code."""
    username, password = page.field("username"), page.form.get("password", "")
    if not username or not password:
        return login_form(ctx, request, page, error="Enter your username and password.",
                           username=username, status_code=400)  # fmt: skip
    try:
        outcome = await check_password(ctx, page.pool, page.client, username, password)
    except CognitoError as exc:
        return login_form(ctx, request, page, error=exc.message or exc.name,
                           username=username, status_code=400)  # fmt: skip
    return await after_step(ctx, page, outcome)


async def _checked(ctx: Context, params: Mapping[str, str]) -> tuple[Pool, Client, str]:
    pool, client, redirect_uri = await authorize_client(ctx, params)
    authorize_request(client, redirect_uri, params)
    return pool, client, redirect_uri


async def _logout_target(ctx: Context, params: Mapping[str, str]) -> tuple[Pool, Client, str]:
    """The pool, client and where /logout sends the browser; OAuthError for the error page."""
    logout_uri = params.get("logout_uri")
    if logout_uri is None and params.get("redirect_uri"):
        pool, client, _redirect_uri = await _checked(ctx, params)
        return pool, client, f"{ctx.base_url}/login?{urlencode(dict(params))}"
    pool, client = await load_client(ctx, params.get("client_id"))
    if not logout_uri or logout_uri not in client.logout_urls:
        raise OAuthError("redirect_mismatch", "The logout_uri is not registered for the client.")
    return pool, client, logout_uri
