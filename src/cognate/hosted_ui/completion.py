"""The end of every hosted-UI sign-in: the SSO cookie set, the step cookie cleared, and a 303
to the redirect_uri with the code (or, for the implicit grant, the tokens)."""

from __future__ import annotations

from starlette.responses import Response

from cognate.context import Context
from cognate.domain.user import User
from cognate.hosted_ui import pages
from cognate.hosted_ui.forms import PageRequest
from cognate.oauth.authorize import complete, seal_sso, sso_cookie_name

STEP_COOKIE = "cognate-step"
"""The sealed state of a sign-in step after the password (hosted_ui/step_routes.py)."""


async def signed_in(ctx: Context, page: PageRequest, user: User) -> Response:
    """303 to the client with the authorization code; the browser keeps an SSO session."""
    now = ctx.clock()
    location = await complete(ctx, page.pool, page.client, page.authorize, user, now)
    response = pages.redirect(location, status_code=303)
    response.set_cookie(
        sso_cookie_name(page.pool.id),
        seal_sso(ctx, page.pool, user, now),
        httponly=True,
        samesite="lax",
        secure=pages.is_secure(ctx),
        path="/",
    )
    response.delete_cookie(STEP_COOKIE, path="/", secure=pages.is_secure(ctx), httponly=True)
    return response
