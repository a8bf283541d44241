"""The sign-in page (/login): username and password, the links to the other pages, a link per
external provider and, when the pool allows passkeys as a first factor (domain/passkeys.py),
"Sign in with passkey" (hosted_ui/passkey_routes.py).

It is shown by /login itself and again, with the engine's message, whenever a sign-in cannot
go on (a wrong password, a passkey that failed): never a redirect on failure.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from cognate.context import Context
from cognate.domain import passkeys as passkey_rules
from cognate.hosted_ui import pages
from cognate.hosted_ui.forms import PageRequest, page_url
from cognate.oauth.authorize import seal_request

PASSKEY_PATH = "/login/passkey"
"""Where "Sign in with passkey" posts the username (hosted_ui/passkey_routes.py)."""


def login_form(
    ctx: Context,
    request: Request,
    page: PageRequest,
    *,
    error: str | None = None,
    notice: str | None = None,
    username: str = "",
    status_code: int = 200,
) -> Response:
    """The sign-in page serving `page`'s authorize request, with `error` or `notice` shown."""
    admin_only = (page.pool.config.get("AdminCreateUserConfig") or {}).get(
        "AllowAdminCreateUserOnly"
    )
    has_passkeys = passkey_rules.is_enabled(page.pool.config)
    return pages.form_page(
        ctx,
        request,
        "login.html",
        status_code=status_code,
        look=page.look,
        action=f"{ctx.base_url}/login",
        passkey_action=f"{ctx.base_url}{PASSKEY_PATH}" if has_passkeys else None,
        sealed_request=seal_request(ctx, page.authorize),
        error=error,
        notice=notice,
        username=username,
        forgot_url=page_url(ctx, "/forgotPassword", page.authorize),
        signup_url=None if admin_only else page_url(ctx, "/signup", page.authorize),
        providers=_provider_links(ctx, page),
    )


def _provider_links(ctx: Context, page: PageRequest) -> list[tuple[str, str]]:
    """A sign-in link per external provider the client supports."""
    names = page.client.config.get("SupportedIdentityProviders") or []
    sealed = seal_request(ctx, page.authorize)
    return [
        (name, f"{ctx.base_url}/oauth2/authorize?"
               + urlencode({"request": sealed, "identity_provider": name}))
        for name in names
        if name != "COGNITO"
    ]  # fmt: skip
