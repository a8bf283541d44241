"""GET/POST /login/step: the hosted UI's steps after the password (hosted_ui/challenges.py).

The step travels in a sealed, expiring cookie (the engine's Session inside it, plus what the
page shows); each correct answer is a 303 to the next step's page or to the client with the
code. A wrong answer shows the same page again with the engine's message.

MFA_SETUP is up to three pages: the choice of factor (only when the engine offers several),
then the authenticator app's QR code and first code, or the email address, after which the
engine's EMAIL_OTP challenge is an ordinary code page.

WEB_AUTHN (a passkey, hosted_ui/passkey_routes.py) is one page whose script posts the browser's
assertion; the engine spends the challenge on any answer, so a failed one shows the sign-in page
with the message, from which the user starts again.
"""

from __future__ import annotations

from datetime import timedelta

import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cognate.auth.flow import Challenge
from cognate.auth.totp import otpauth_uri
from cognate.context import Context
from cognate.domain.user import User
from cognate.errors import CognitoError, OAuthError
from cognate.hosted_ui import challenges, pages
from cognate.hosted_ui.challenges import (
    ATTRIBUTE_PREFIX,
    CODE_RESPONSE,
    EMAIL_SETUP,
    PASSKEY_RESPONSE,
    Step,
)
from cognate.hosted_ui.completion import STEP_COOKIE, signed_in
from cognate.hosted_ui.forms import PageRequest, from_post, from_query, page_url, problem
from cognate.hosted_ui.login_form import login_form
from cognate.oauth.authorize import seal_request, seal_step, unseal_step

STEP_PATH = "/login/step"
_TEMPLATES = {
    Challenge.NEW_PASSWORD_REQUIRED: "new_password.html",
    Challenge.SOFTWARE_TOKEN_MFA: "mfa_code.html",
    Challenge.SMS_MFA: "mfa_code.html",
    Challenge.EMAIL_OTP: "mfa_code.html",
    Challenge.SELECT_MFA_TYPE: "select_mfa.html",
    Challenge.WEB_AUTHN: "passkey.html",
}
PASSKEY_FAILED = "Your passkey could not be used. Try again, or sign in another way."
"""Also passkey.html's text for a ceremony the browser could not complete (cancelled, no
matching passkey, no WebAuthn)."""
# MFA_SETUP's pages: the choice among the factors offered, then the chosen one's setup.
_CHOICE_TEMPLATE = "setup_mfa.html"
_TOTP_TEMPLATE = "totp_setup.html"
_EMAIL_TEMPLATE = "email_setup.html"
_FACTOR_NAMES = {
    "SOFTWARE_TOKEN_MFA": "Authenticator app",
    "SMS_MFA": "Text message (SMS)",
    "EMAIL_OTP": "Email",
}


async def after_step(ctx: Context, page: PageRequest, outcome: Step | User) -> Response:
    """After a passed step (the password or a later one): a 303 to the next step's page, or
    the SSO cookie and a 303 to the client with the code."""
    if isinstance(outcome, User):
        return await signed_in(ctx, page, outcome)
    return _to_step(ctx, page, outcome)


def _to_step(ctx: Context, page: PageRequest, step: Step) -> Response:
    response = pages.redirect(page_url(ctx, STEP_PATH, page.authorize), status_code=303)
    lifetime = max(page.client.auth_session_validity, timedelta(minutes=3))
    response.set_cookie(
        STEP_COOKIE,
        seal_step(ctx, challenges.step_body(step), lifetime),
        httponly=True,
        samesite="lax",
        secure=pages.is_secure(ctx),
        path="/",
    )
    return response


def _current_step(ctx: Context, request: Request) -> Step | None:
    cookie = request.cookies.get(STEP_COOKIE)
    body = unseal_step(ctx, cookie) if cookie else None
    return challenges.step_of(body) if body is not None else None


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (no external asset, allowed by the CSP)."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=5, title="QR code to scan")
    return svg


def _template(step: Step) -> str | None:
    if step.challenge != Challenge.MFA_SETUP:
        return _TEMPLATES.get(Challenge(step.challenge))
    if step.secret is not None:  # TOTP, its secret associated
        return _TOTP_TEMPLATE
    return _EMAIL_TEMPLATE if step.setup_factor == EMAIL_SETUP else _CHOICE_TEMPLATE


async def _step_page(
    ctx: Context,
    request: Request,
    page: PageRequest,
    step: Step,
    *,
    error: str | None = None,
    status_code: int = 200,
    email: str | None = None,
) -> Response:
    template = _template(step)
    if template is None:
        return pages.error_page("unsupported_step", "This sign-in step is not supported.")
    setup_uri = None
    if step.secret is not None:
        setup_uri = otpauth_uri(step.secret, account=step.username, issuer=page.pool.name)
    if email is None and template == _EMAIL_TEMPLATE:
        email = await challenges.known_email(ctx, page.pool, step)
    return pages.form_page(
        ctx,
        request,
        template,
        status_code=status_code,
        look=page.look,
        action=f"{ctx.base_url}{STEP_PATH}",
        sealed_request=seal_request(ctx, page.authorize),
        error=error,
        step=step,
        factor_names=_FACTOR_NAMES,
        destination=step.parameters.get("CODE_DELIVERY_DESTINATION", ""),
        setup_uri=setup_uri,
        qr_svg=_qr_svg(setup_uri) if setup_uri else "",
        email=email or "",
        restart_url=page_url(ctx, "/login", page.authorize),
    )


def _responses(step: Step, page: PageRequest) -> dict[str, str]:
    """The ChallengeResponses the engine expects for the page's fields."""
    if step.challenge == Challenge.NEW_PASSWORD_REQUIRED:
        attributes = {
            name: value.strip()
            for name, value in page.form.items()
            if name.startswith(ATTRIBUTE_PREFIX) and value.strip()
        }
        return {"NEW_PASSWORD": page.form.get("new_password", ""), **attributes}
    if step.challenge == Challenge.SELECT_MFA_TYPE:
        return {"ANSWER": page.field("answer")}
    if step.challenge == Challenge.WEB_AUTHN:
        return {PASSKEY_RESPONSE: page.form.get("credential", "")}
    if step.challenge == Challenge.MFA_SETUP:
        # Email: the address, which the engine's EMAIL_OTP challenge then proves. TOTP: the
        # Session VerifySoftwareToken returned says it all.
        return {"EMAIL": page.field("email")} if step.setup_factor == EMAIL_SETUP else {}
    return {CODE_RESPONSE[Challenge(step.challenge)]: page.field("code")}


async def _answer_passkey(
    ctx: Context, request: Request, page: PageRequest, step: Step
) -> Response:
    """WEB_AUTHN: the engine checks the assertion; on failure (or with none sent) the sign-in
    page with the message, the spent step forgotten."""
    if not page.form.get("credential", "").strip():
        return _passkey_failed(ctx, request, page, step, PASSKEY_FAILED)
    try:
        outcome = await challenges.answer(ctx, page.client, step, _responses(step, page))
    except CognitoError as exc:
        return _passkey_failed(ctx, request, page, step, exc.message or exc.name)
    return await after_step(ctx, page, outcome)


def _passkey_failed(
    ctx: Context, request: Request, page: PageRequest, step: Step, message: str
) -> Response:
    response = login_form(ctx, request, page, error=message, username=step.username,
                          status_code=400)  # fmt: skip
    response.delete_cookie(STEP_COOKIE, path="/", secure=pages.is_secure(ctx), httponly=True)
    return response


async def _answer(ctx: Context, request: Request, page: PageRequest, step: Step) -> Response:
    if step.challenge == Challenge.WEB_AUTHN:
        return await _answer_passkey(ctx, request, page, step)
    try:
        outcome: Step | User
        template = _template(step)
        if template == _CHOICE_TEMPLATE:
            outcome = await challenges.choose_setup(ctx, step, page.field("answer"))
        else:
            current = step
            if template == _TOTP_TEMPLATE:
                current = await challenges.verify_token(ctx, step, page.field("code"))
            outcome = await challenges.answer(ctx, page.client, current, _responses(step, page))
    except CognitoError as exc:
        message = exc.message or exc.name
        return await _step_page(ctx, request, page, step, error=message, status_code=400,
                                email=page.field("email") or None)  # fmt: skip
    return await after_step(ctx, page, outcome)


def step_routes(ctx: Context) -> list[Route]:
    """GET and POST /login/step."""

    async def step_page(request: Request) -> Response:
        try:
            page = await from_query(ctx, request.query_params)
        except OAuthError as exc:
            return problem(exc)
        step = _current_step(ctx, request)
        if step is None:
            return pages.redirect(page_url(ctx, "/login", page.authorize))
        return await _step_page(ctx, request, page, step)

    async def answer(request: Request) -> Response:
        try:
            page = await from_post(ctx, request)
        except OAuthError as exc:
            return problem(exc)
        step = _current_step(ctx, request)
        if step is None:
            return pages.redirect(page_url(ctx, "/login", page.authorize), status_code=303)
        return await _answer(ctx, request, page, step)

    return [
        Route(STEP_PATH, step_page, methods=["GET"]),
        Route(STEP_PATH, answer, methods=["POST"]),
    ]
