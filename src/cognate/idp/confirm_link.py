"""`GET /confirmUser`: the CONFIRM_WITH_LINK target a sign-up email points to.

Cognito's link is `https://<domain>/confirmUser?client_id=…&user_name=…&confirmation_code=…`;
Cognate serves the same path on its own base URL. Following the link confirms the user exactly
as ConfirmSignUp with that code would (single use, attempt limits), without a SECRET_HASH:
the code in the link is the proof. The answer is a small HTML page; an unknown user or client
reads like a wrong code, so the link cannot be used to probe for accounts.

This is one of the route edges allowed to turn a CognitoError into a page (DESIGN §6).
"""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse

from cognate.context import Context
from cognate.domain import codes
from cognate.errors import CognitoError, UserNotFoundException
from cognate.idp.resources import require_pool
from cognate.idp.signup import confirm_with_code
from cognate.store import clients as client_store

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{detail}</p></body></html>
"""


def _page(title: str, detail: str, status_code: int) -> HTMLResponse:
    body = _PAGE.format(title=html.escape(title), detail=html.escape(detail))
    return HTMLResponse(
        body,
        status_code=status_code,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


async def confirm_user(request: Request) -> HTMLResponse:
    """Confirm the user the link names; 200 with a success page, 400 with Cognito's reason."""
    ctx: Context = request.app.state.ctx
    params = request.query_params
    client_id = params.get("client_id", "")
    user_name = params.get("user_name", "")
    code = params.get("confirmation_code", "")
    if not (client_id and user_name and code):
        return _page("Link not valid", "The confirmation link is incomplete.", 400)
    try:
        async with ctx.store.read() as conn:
            client = await client_store.get_client(conn, None, client_id)
            pool = await require_pool(conn, client.pool_id) if client else None
        if client is None or pool is None:
            return _page("Link not valid", codes.MISMATCH_MESSAGE, 400)
        await confirm_with_code(ctx, pool, client, user_name, code, force_alias=False)
    except UserNotFoundException:
        return _page("Link not valid", codes.MISMATCH_MESSAGE, 400)
    except CognitoError as error:
        return _page("Confirmation failed", error.message, 400)
    return _page("Registration confirmed", "Your registration has been confirmed!", 200)
