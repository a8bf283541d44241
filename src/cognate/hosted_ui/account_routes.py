"""/signup, /confirm, /forgotPassword and /confirmForgotPassword (developer guide, "Sign-up
and sign-in with the managed login pages"): each form calls the engine's own operation
(SignUp, ConfirmSignUp, ForgotPassword, ConfirmForgotPassword) and shows its message when it
refuses; each success is a 303 to the next page, keeping the authorize request, and ends on
/login.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cognate.context import Context
from cognate.domain.pool import Pool
from cognate.errors import CognitoError, OAuthError
from cognate.hosted_ui import pages
from cognate.hosted_ui.forms import (
    PageRequest,
    from_post,
    from_query,
    page_url,
    problem,
    secret_hash_for,
)
from cognate.idp import recovery, signup
from cognate.oauth.authorize import seal_request

_INPUT_TYPES = {"email": "email", "phone_number": "tel"}
_AUTOCOMPLETE = {
    "email": "email",
    "phone_number": "tel",
    "name": "name",
    "given_name": "given-name",
    "family_name": "family-name",
    "birthdate": "bday",
    "address": "street-address",
    "locale": "language",
    "zoneinfo": "off",
}
NOTICES = {
    "confirmed": "Your account is confirmed. Sign in to continue.",
    "reset": "Your password has been reset. Sign in with your new password.",
}
"""The fixed messages /login may show (chosen by name: a link cannot inject text)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AttributeField:
    """One attribute input of the sign-up form."""

    name: str
    label: str
    type: str
    autocomplete: str
    required: bool
    value: str = ""


def sign_up_fields(pool: Pool, form: Mapping[str, str]) -> list[AttributeField]:
    """The attribute inputs of the sign-up form: the pool's required attributes, and email
    or phone_number when the pool verifies them; not the one that is the username."""
    required = {
        definition["Name"]
        for definition in pool.schema
        if definition.get("Required") and definition["Name"] != "sub"
    }
    names = [d["Name"] for d in pool.schema if d["Name"] in required]
    names += [name for name in pool.auto_verified_attributes if name not in required]
    return [
        AttributeField(
            name=name,
            label=name.removeprefix("custom:").replace("_", " ").capitalize(),
            type=_INPUT_TYPES.get(name, "text"),
            autocomplete=_AUTOCOMPLETE.get(name, "off"),
            required=name in required,
            value=form.get(name, "").strip(),
        )
        for name in names
        if name not in pool.username_attributes
    ]


def _password_hint(pool: Pool) -> str:
    policy = pool.password_policy
    needs = [
        label
        for key, label in (
            ("RequireLowercase", "a lowercase letter"),
            ("RequireUppercase", "an uppercase letter"),
            ("RequireNumbers", "a number"),
            ("RequireSymbols", "a symbol"),
        )
        if policy.get(key)
    ]
    hint = f"At least {policy.get('MinimumLength', 8)} characters"
    return f"{hint}, with {', '.join(needs)}." if needs else f"{hint}."


def _username_input(pool: Pool) -> dict[str, str]:
    if "email" in pool.username_attributes:
        return {
            "username_label": "Email",
            "username_type": "email",
            "username_autocomplete": "email",
        }
    if "phone_number" in pool.username_attributes:
        return {"username_label": "Phone number", "username_type": "tel",
                "username_autocomplete": "tel"}  # fmt: skip
    return {"username_label": "Username", "username_type": "text",
            "username_autocomplete": "username"}  # fmt: skip


def _page(
    ctx: Context,
    request: Request,
    page: PageRequest,
    template: str,
    path: str,
    *,
    error: str | None = None,
    **context: Any,
) -> Response:
    return pages.form_page(
        ctx,
        request,
        template,
        status_code=400 if error else 200,
        look=page.look,
        action=f"{ctx.base_url}{path}",
        sealed_request=seal_request(ctx, page.authorize),
        login_url=page_url(ctx, "/login", page.authorize),
        error=error,
        **context,
    )


def _signup_page(
    ctx: Context, request: Request, page: PageRequest, error: str | None = None
) -> Response:
    return _page(
        ctx, request, page, "signup.html", "/signup", error=error,
        username=page.field("username"), attributes=sign_up_fields(page.pool, page.form),
        password_hint=_password_hint(page.pool), **_username_input(page.pool),
    )  # fmt: skip


async def _sign_up(ctx: Context, request: Request, page: PageRequest) -> Response:
    username = page.field("username")
    attributes = [
        {"Name": field.name, "Value": field.value}
        for field in sign_up_fields(page.pool, page.form)
        if field.value
    ]
    req: dict[str, Any] = {
        "ClientId": page.client.id,
        "Username": username,
        "Password": page.form.get("password", ""),
        "UserAttributes": attributes,
    }
    hashed = await secret_hash_for(ctx, page.client, username)
    if hashed is not None:
        req["SecretHash"] = hashed
    try:
        answer = await signup.sign_up(ctx, req)  # type: ignore[arg-type]  # the wire shape
    except CognitoError as exc:
        return _signup_page(ctx, request, page, exc.message or exc.name)
    if answer.get("UserConfirmed"):
        location = page_url(ctx, "/login", page.authorize, notice="confirmed")
    else:
        destination = (answer.get("CodeDeliveryDetails") or {}).get("Destination", "")
        location = page_url(
            ctx, "/confirm", page.authorize, username=username, destination=destination
        )
    return pages.redirect(location, status_code=303)


def _confirm_page(
    ctx: Context, request: Request, page: PageRequest, params: Mapping[str, str],
    error: str | None = None,
) -> Response:  # fmt: skip
    return _page(
        ctx, request, page, "confirm.html", "/confirm", error=error,
        username=params.get("username", ""), destination=params.get("destination", ""),
    )  # fmt: skip


async def _confirm(ctx: Context, request: Request, page: PageRequest) -> Response:
    username = page.field("username")
    req: dict[str, Any] = {
        "ClientId": page.client.id,
        "Username": username,
        "ConfirmationCode": page.field("code"),
    }
    hashed = await secret_hash_for(ctx, page.client, username)
    if hashed is not None:
        req["SecretHash"] = hashed
    try:
        await signup.confirm_sign_up(ctx, req)  # type: ignore[arg-type]  # the wire shape
    except CognitoError as exc:
        return _confirm_page(ctx, request, page, page.form, exc.message or exc.name)
    location = page_url(ctx, "/login", page.authorize, notice="confirmed")
    return pages.redirect(location, status_code=303)


def _forgot_page(
    ctx: Context, request: Request, page: PageRequest, error: str | None = None
) -> Response:
    return _page(
        ctx, request, page, "forgot_password.html", "/forgotPassword", error=error,
        username=page.field("username"),
    )  # fmt: skip


async def _forgot(ctx: Context, request: Request, page: PageRequest) -> Response:
    username = page.field("username")
    req: dict[str, Any] = {"ClientId": page.client.id, "Username": username}
    hashed = await secret_hash_for(ctx, page.client, username)
    if hashed is not None:
        req["SecretHash"] = hashed
    try:
        answer = await recovery.forgot_password(ctx, req)  # type: ignore[arg-type]
    except CognitoError as exc:
        return _forgot_page(ctx, request, page, exc.message or exc.name)
    destination = (answer.get("CodeDeliveryDetails") or {}).get("Destination", "")
    location = page_url(
        ctx, "/confirmForgotPassword", page.authorize, username=username, destination=destination
    )
    return pages.redirect(location, status_code=303)


def _reset_page(
    ctx: Context, request: Request, page: PageRequest, params: Mapping[str, str],
    error: str | None = None,
) -> Response:  # fmt: skip
    return _page(
        ctx, request, page, "confirm_forgot_password.html", "/confirmForgotPassword",
        error=error, username=params.get("username", ""),
        destination=params.get("destination", ""),
    )  # fmt: skip


async def _reset(ctx: Context, request: Request, page: PageRequest) -> Response:
    username = page.field("username")
    req: dict[str, Any] = {
        "ClientId": page.client.id,
        "Username": username,
        "ConfirmationCode": page.field("code"),
        "Password": page.form.get("new_password", ""),
    }
    hashed = await secret_hash_for(ctx, page.client, username)
    if hashed is not None:
        req["SecretHash"] = hashed
    try:
        await recovery.confirm_forgot_password(ctx, req)  # type: ignore[arg-type]
    except CognitoError as exc:
        return _reset_page(ctx, request, page, page.form, exc.message or exc.name)
    location = page_url(ctx, "/login", page.authorize, notice="reset")
    return pages.redirect(location, status_code=303)


Show = Callable[[Context, Request, PageRequest], Response]
Submit = Callable[[Context, Request, PageRequest], Awaitable[Response]]


def _routes(ctx: Context, path: str, show: Show, submit: Submit) -> list[Route]:
    async def get(request: Request) -> Response:
        try:
            page = await from_query(ctx, request.query_params)
        except OAuthError as exc:
            return problem(exc)
        return show(ctx, request, page)

    async def post(request: Request) -> Response:
        try:
            page = await from_post(ctx, request)
        except OAuthError as exc:
            return problem(exc)
        return await submit(ctx, request, page)

    return [Route(path, get, methods=["GET"]), Route(path, post, methods=["POST"])]


def account_routes(ctx: Context) -> list[Route]:
    """GET/POST /signup, /confirm, /forgotPassword and /confirmForgotPassword."""

    def confirm_page(ctx: Context, request: Request, page: PageRequest) -> Response:
        return _confirm_page(ctx, request, page, request.query_params)

    def reset_page(ctx: Context, request: Request, page: PageRequest) -> Response:
        return _reset_page(ctx, request, page, request.query_params)

    def signup_page(ctx: Context, request: Request, page: PageRequest) -> Response:
        return _signup_page(ctx, request, page)

    def forgot_page(ctx: Context, request: Request, page: PageRequest) -> Response:
        return _forgot_page(ctx, request, page)

    return [
        *_routes(ctx, "/signup", signup_page, _sign_up),
        *_routes(ctx, "/confirm", confirm_page, _confirm),
        *_routes(ctx, "/forgotPassword", forgot_page, _forgot),
        *_routes(ctx, "/confirmForgotPassword", reset_page, _reset),
    ]
