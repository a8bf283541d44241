"""What every hosted-UI page starts from: the authorize request it serves, read from the query
(the authorize parameters, or the sealed `request` a previous page passed on) or from a posted
form whose CSRF token is checked first; and the links between the pages.

The authorize request always travels sealed (oauth/authorize.py), so a page reached from
another one cannot be pointed at a different client or redirect_uri.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from cognate.auth.secret_hash import secret_hash
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.errors import OAuthError
from cognate.hosted_ui import pages
from cognate.oauth.authorize import (
    AuthorizeRequest,
    RedirectError,
    authorize_client,
    authorize_request,
    seal_request,
    unseal_request,
)
from cognate.oauth.protocol import read_form
from cognate.store.clients import client_secret_values

FORM_EXPIRED = "The form expired. Go back and try again."
_MESSAGES = {
    "invalid_client": "This application is not known.",
    "redirect_mismatch": "The application asked to return to an address it has not registered.",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRequest:
    """The pool, client and checked authorize request a page serves, with the posted form
    (empty for a GET)."""

    pool: Pool
    client: Client
    authorize: AuthorizeRequest
    form: Mapping[str, str]
    # The client's branding (UI customization, terms links) its pages show.
    look: pages.PageLook = dataclasses.field(default_factory=pages.PageLook)

    def field(self, name: str) -> str:
        """A posted field, surrounding spaces removed ("" when absent)."""
        return self.form.get(name, "").strip()


async def _sealed(ctx: Context, sealed: str) -> tuple[Pool, Client, AuthorizeRequest]:
    checked = unseal_request(ctx, sealed)
    params = {"client_id": checked.client_id, "redirect_uri": checked.redirect_uri}
    pool, client, _redirect_uri = await authorize_client(ctx, params)
    return pool, client, checked


async def from_query(ctx: Context, params: Mapping[str, str]) -> PageRequest:
    """The page's request from its query: `request` (sealed) or the authorize parameters.
    OAuthError (error page or redirect back) when it is not acceptable."""
    sealed = params.get("request")
    if sealed:
        pool, client, checked = await _sealed(ctx, sealed)
    else:
        pool, client, redirect_uri = await authorize_client(ctx, params)
        checked = authorize_request(client, redirect_uri, params)
    # A `lang` beside a sealed request switches the language (managed login's selector).
    look = await pages.load_look(ctx, pool.id, client.id, lang=params.get("lang") or checked.lang)
    return PageRequest(pool=pool, client=client, authorize=checked, form={}, look=look)


async def from_post(ctx: Context, request: Request) -> PageRequest:
    """The page's request from a posted form, once its CSRF token is checked (403 otherwise)."""
    form = await read_form(request)
    if not pages.is_csrf_valid(ctx, request, form.get(pages.CSRF_FIELD)):
        raise OAuthError("invalid_request", FORM_EXPIRED, status_code=403)
    pool, client, checked = await _sealed(ctx, form.get("request", ""))
    look = await pages.load_look(ctx, pool.id, client.id, lang=checked.lang)
    return PageRequest(pool=pool, client=client, authorize=checked, form=form, look=look)


def page_url(ctx: Context, path: str, authorize: AuthorizeRequest, **extra: str) -> str:
    """The link to the hosted-UI page `path` serving `authorize` (from ctx.base_url only)."""
    query = urlencode({"request": seal_request(ctx, authorize), **extra})
    return f"{ctx.base_url}{path}?{query}"


async def secret_hash_for(ctx: Context, client: Client, username: str) -> str | None:
    """The SECRET_HASH the engine asks of a client with a secret: the hosted UI acts for the
    client, which is the only party holding the secret; None for a public client."""
    if not client.has_secret:
        return None
    async with ctx.store.read() as conn:
        secrets = await client_secret_values(conn, ctx.secrets, client.id)
    return secret_hash(secrets[-1], username, client.id) if secrets else None


def problem(exc: OAuthError) -> Response:
    """An authorize problem answered: redirected back to a registered redirect_uri, or the
    error page (never a redirect to an address that is not trusted)."""
    if isinstance(exc, RedirectError):
        return pages.redirect(exc.location)
    message = _MESSAGES.get(exc.error, exc.description or exc.error)
    return pages.error_page(exc.error, message, status_code=exc.status_code)
