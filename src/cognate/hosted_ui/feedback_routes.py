"""`/_feedback`: the one-click links of the account-takeover notification email.

Cognito's `{one-click-link-valid}` and `{one-click-link-invalid}` call UpdateAuthEventFeedback
(wave2-surface.md §4.6). Here a GET never changes anything (mail scanners and link previews
fetch every link): it checks the token and shows a confirmation form; the form's POST, with
the hosted pages' CSRF check (pages.py), records the feedback. The token in the link is the
only credential, so the page names neither the user nor the pool. English only: the link has
no `lang`, and its texts are not in hosted_ui/translations.py yet.

One of the route edges allowed to turn a CognitoError into a page (DESIGN §6).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cognate.context import Context
from cognate.domain import feedback_tokens
from cognate.errors import CognitoError, OAuthError
from cognate.hosted_ui import pages
from cognate.idp.threat_protection import update_feedback_by_token
from cognate.oauth.protocol import read_form

_NOT_VALID = "This feedback link is not valid or has expired."


def feedback_routes(ctx: Context) -> list[Route]:
    """GET and POST /_feedback."""

    async def feedback_page(request: Request) -> Response:
        token = request.query_params.get("t", "")
        value = request.query_params.get("v", "")
        grant = feedback_tokens.unseal(ctx.secrets, token, now=ctx.clock()) if token else None
        if grant is None or value not in feedback_tokens.LINK_VALUES:
            return pages.error_page("invalid_request", _NOT_VALID)
        return pages.form_page(
            ctx,
            request,
            "feedback.html",
            token=token,
            value=value,
            is_done=False,
            action=ctx.base_url + feedback_tokens.PAGE_PATH,
        )

    async def give_feedback(request: Request) -> Response:
        try:
            form = await read_form(request)
        except OAuthError as exc:
            return pages.error_page(exc.error, exc.description or exc.error)
        if not pages.is_csrf_valid(ctx, request, form.get(pages.CSRF_FIELD)):
            return pages.error_page("invalid_request", _NOT_VALID, status_code=403)
        value = feedback_tokens.LINK_VALUES.get(form.get("v", ""))
        if value is None:
            return pages.error_page("invalid_request", _NOT_VALID)
        try:
            await update_feedback_by_token(ctx, form.get("t", ""), value)
        except CognitoError as exc:
            return pages.error_page(exc.name, exc.message)
        return pages.render("feedback.html", is_done=True, value=form["v"])

    return [
        Route(feedback_tokens.PAGE_PATH, feedback_page, methods=["GET"]),
        Route(feedback_tokens.PAGE_PATH, give_feedback, methods=["POST"]),
    ]
