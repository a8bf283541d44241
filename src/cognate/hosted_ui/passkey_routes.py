"""Sign-in with a passkey on the hosted UI, as managed login offers it when the pool allows
WEB_AUTHN as a first factor.

"Sign in with passkey" on /login posts the username to POST /login/passkey, which asks the
engine for the WEB_AUTHN challenge (hosted_ui/challenges.py `start_passkey`: USER_AUTH with
PREFERRED_CHALLENGE=WEB_AUTHN). The challenge becomes an ordinary hosted step (a 303 to
/login/step, hosted_ui/step_routes.py), whose page hands CREDENTIAL_REQUEST_OPTIONS to
GET /ui/passkey.js: navigator.credentials.get(), then the assertion posted back with the form's
CSRF token, for the engine to verify as RespondToAuthChallenge's CREDENTIAL. The script is a
file of this package served from this origin and loaded with the page's CSP nonce, so the CSP
stays `script-src 'nonce-…'`. Any failure shows the sign-in page with the message; never a
redirect.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cognate.context import Context
from cognate.domain import passkeys as passkey_rules
from cognate.errors import CognitoError, OAuthError
from cognate.hosted_ui import challenges
from cognate.hosted_ui.forms import from_post, problem
from cognate.hosted_ui.login_form import PASSKEY_PATH, login_form
from cognate.hosted_ui.step_routes import after_step

SCRIPT_PATH = "/ui/passkey.js"
NO_PASSKEY = "There is no passkey for this account. Sign in with your password."
NO_USERNAME = "Enter your username."
_NOT_OFFERED = "Passkeys are not enabled for this application."


@cache
def _script() -> bytes:
    return files("cognate.hosted_ui").joinpath("static", "passkey.js").read_bytes()


def passkey_routes(ctx: Context) -> list[Route]:
    """POST /login/passkey and GET /ui/passkey.js."""

    async def start(request: Request) -> Response:
        """The WEB_AUTHN step for the posted username, or the sign-in page with the reason."""
        try:
            page = await from_post(ctx, request)
        except OAuthError as exc:
            return problem(exc)
        username = page.field("username")
        error = None
        if not passkey_rules.is_enabled(page.pool.config):
            error = _NOT_OFFERED
        elif not username:
            error = NO_USERNAME
        else:
            try:
                step = await challenges.start_passkey(ctx, page.pool, page.client, username)
            except CognitoError as exc:
                error = exc.message or exc.name
            else:
                if step is not None:
                    return await after_step(ctx, page, step)
                error = NO_PASSKEY
        return login_form(ctx, request, page, error=error, username=username, status_code=400)

    async def script(_request: Request) -> Response:
        response = Response(_script(), media_type="text/javascript")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "public, max-age=300"
        return response

    return [
        Route(PASSKEY_PATH, start, methods=["POST"]),
        Route(SCRIPT_PATH, script, methods=["GET"]),
    ]
