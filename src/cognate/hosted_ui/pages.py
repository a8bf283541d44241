"""Rendering hosted-UI pages with the headers every page needs, and their CSRF tokens.

Headers (RFC 9700 §4.16, security-test-plan.md G81): a CSP that allows nothing external (the
inline stylesheets and the passkey page's script, a file Cognate serves, carry a per-response
nonce) and forbids framing (`frame-ancestors 'none'`, plus `X-Frame-Options: DENY` for older
browsers); pages are never cached.

CSRF (ASVS 3.5, G82): signed double-submit. A random value sits in an HttpOnly, SameSite=Lax
cookie; the form carries its keyed hash, which only this server can compute. A POST is accepted
only when the two agree, so another site can neither read nor forge the pair.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import jinja2
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from cognate.context import Context
from cognate.domain import managed_login
from cognate.domain.branding import TERMS_TITLES, TermsName, page_link, sanitized_css
from cognate.hosted_ui import translations
from cognate.store import branding as branding_store
from cognate.store.branding import ManagedLoginBranding
from cognate.store.pools import pool_domains

CSRF_COOKIE = "cognate-csrf"
CSRF_FIELD = "_csrf"
_CSRF_PURPOSE = "hosted-ui-csrf"

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("cognate.hosted_ui", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def is_secure(ctx: Context) -> bool:
    """Whether cookies get the Secure flag: when the public URL is https."""
    return ctx.base_url.startswith("https://")


def secure_headers(response: Response, nonce: str) -> Response:
    """Add the headers every hosted-UI page carries."""
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True, slots=True, kw_only=True)
class PageLook:
    """A client's branding on its pages: UI-customization CSS (sanitised: it goes in a nonce'd
    `<style>`, so only `domain.branding.sanitized_css` output, which cannot hold markup), the
    logo's same-origin path (CSP img-src 'self') and the terms links; or, for a managed-login
    branding style, `style_css` (`domain.managed_login.style_css` output: custom properties of
    hex colours and pixel sizes only), its logo, background (in the CSS) and favicon."""

    css: Markup | None = None
    logo_url: str | None = None
    terms: tuple[tuple[str, str], ...] = ()
    style_css: Markup | None = None
    favicon_url: str | None = None
    favicon_type: str | None = None
    lang: str = translations.DEFAULT
    """The language of the page's texts (hosted_ui/translations.py) and its `<html lang>`."""


def asset_url(branding: ManagedLoginBranding, image: managed_login.Image) -> str:
    """Where Cognate serves a branding asset (same origin, versioned by the last update)."""
    version = int(branding.updated_at.timestamp() * 1000)
    return (
        f"/ui/{branding.pool_id}/{branding.client_id}/assets/"
        f"{image.category}/{image.color_mode}?v={version}"
    )


def _is_classic(domains: Sequence[tuple[str, Mapping[str, Any]]]) -> bool:
    """Whether the pool's pages are the classic hosted UI: it has domains, all version 1."""
    return bool(domains) and all(
        config.get("ManagedLoginVersion", 1) == 1 for _name, config in domains
    )


def _managed_look(branding: ManagedLoginBranding, terms: tuple[tuple[str, str], ...]) -> PageLook:
    settings, assets = branding.settings, branding.assets
    logo = managed_login.choose_image(settings, assets, managed_login.LOGO_CATEGORIES)
    background = managed_login.choose_image(settings, assets, (managed_login.BACKGROUND_CATEGORY,))
    icon = managed_login.favicon(settings, assets)
    css = managed_login.style_css(
        settings, background_url=asset_url(branding, background) if background else None
    )
    return PageLook(
        style_css=Markup(css),  # noqa: S704 - style_css output holds only hex colours and sizes
        logo_url=asset_url(branding, logo) if logo else None,
        favicon_url=asset_url(branding, icon) if icon else None,
        favicon_type=icon.media_type if icon else None,
        terms=terms,
    )


async def load_look(
    ctx: Context, pool_id: str, client_id: str, *, lang: str | None = None
) -> PageLook:
    """The look of the pages client `client_id` of pool `pool_id` shows, in the language the
    request's `lang` names (translations.page_language)."""
    look = await _client_look(ctx, pool_id, client_id)
    return replace(look, lang=translations.page_language(lang))


async def _client_look(ctx: Context, pool_id: str, client_id: str) -> PageLook:
    """The client's managed-login branding style when it has one (Cognito's managed login,
    ManagedLoginVersion 2), unless the pool's domains are all classic (version 1); else its
    UI customization."""
    async with ctx.store.read() as conn:
        customization, documents = await branding_store.page_branding(conn, pool_id, client_id)
        branding = await branding_store.get_branding(conn, pool_id, client_id=client_id)
        domains = await pool_domains(conn, pool_id) if branding is not None else []
    links = []
    for document in sorted(documents, key=lambda item: item.name, reverse=True):
        url = page_link(dict(document.links))
        if url is not None:
            title = TERMS_TITLES.get(TermsName(document.name), document.name)
            links.append((title, url))
    if branding is not None and not _is_classic(domains):
        return _managed_look(branding, tuple(links))
    if customization is None:
        return PageLook(terms=tuple(links))
    css = sanitized_css(customization.css) if customization.css else None
    logo = None
    if customization.image is not None:
        logo = f"/ui/{pool_id}/{customization.client_id}/logo?v={customization.css_version}"
    return PageLook(
        css=Markup(css) if css else None,  # noqa: S704 - sanitized_css output holds no markup
        logo_url=logo,
        terms=tuple(links),
    )


def logo_routes(ctx: Context) -> list[Route]:
    """GET /ui/{pool}/{client}/logo: the UI-customization logo (ImageUrl of GetUICustomization);
    GET /ui/{pool}/{client}/assets/{category}/{mode}: a managed-login branding asset; or 404."""

    async def logo(request: Request) -> Response:
        pool_id, client_id = request.path_params["pool"], request.path_params["client"]
        async with ctx.store.read() as conn:
            item = await branding_store.get_ui_customization(conn, pool_id, client_id)
        if item is None or item.image is None or item.image_type is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        response = Response(item.image, media_type=item.image_type)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "public, max-age=300"
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        return response

    async def asset(request: Request) -> Response:
        params = request.path_params
        async with ctx.store.read() as conn:
            branding = await branding_store.get_branding(
                conn, params["pool"], client_id=params["client"]
            )
        found = (
            managed_login.find_asset(branding.assets, params["category"], params["mode"])
            if branding is not None
            else None
        )
        media_type = managed_login.MEDIA_TYPES.get(str(found.get("Extension"))) if found else None
        if found is None or media_type is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        try:
            body = base64.b64decode(found["Bytes"], validate=True)
        except (binascii.Error, TypeError):
            return Response("Not found", status_code=404, media_type="text/plain")
        response = Response(body, media_type=media_type)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "public, max-age=300"
        # An SVG opened on its own must not run script in this origin.
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    return [
        Route("/ui/{pool}/{client}/logo", logo, methods=["GET"]),
        Route("/ui/{pool}/{client}/assets/{category}/{mode}", asset, methods=["GET"]),
    ]


def render(
    template: str, *, status_code: int = 200, look: PageLook | None = None, **context: Any
) -> HTMLResponse:
    """The page `template` rendered with `context` and the client's `look`, with the page
    headers."""
    nonce = secrets.token_urlsafe(16)
    look = look or PageLook()
    html = _templates.get_template(template).render(
        csp_nonce=nonce, look=look, t=translations.translator(look.lang), **context
    )
    return secure_headers(HTMLResponse(html, status_code=status_code), nonce)  # type: ignore[return-value]


def error_page(error: str, message: str, *, status_code: int = 400) -> HTMLResponse:
    """The error page: shown instead of redirecting when the redirect target is not trusted."""
    return render("error.html", status_code=status_code, error=error, message=message)


def csrf_token(ctx: Context, request: Request) -> tuple[str, str | None]:
    """The form's CSRF token and, when the browser has no CSRF cookie yet, the new cookie."""
    cookie = request.cookies.get(CSRF_COOKIE)
    new_cookie = None
    if not cookie:
        cookie = new_cookie = secrets.token_urlsafe(32)
    return ctx.secrets.keyed_hash(cookie, _CSRF_PURPOSE), new_cookie


def set_csrf_cookie(ctx: Context, response: Response, value: str) -> None:
    """Give the browser its CSRF cookie."""
    response.set_cookie(
        CSRF_COOKIE, value, httponly=True, samesite="lax", secure=is_secure(ctx), path="/"
    )


def is_csrf_valid(ctx: Context, request: Request, submitted: str | None) -> bool:
    """Whether the form's token is the keyed hash of the browser's CSRF cookie."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted:
        return False
    return hmac.compare_digest(ctx.secrets.keyed_hash(cookie, _CSRF_PURPOSE), submitted)


def redirect(location: str, status_code: int = 302) -> RedirectResponse:
    """A redirect that no cache keeps (303 answers every POST: RFC 9700 §4.12)."""
    response = RedirectResponse(location, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def form_page(
    ctx: Context,
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    look: PageLook | None = None,
    **context: Any,
) -> Response:
    """A page with a form: rendered with its CSRF token (`csrf`) and the client's `look`,
    giving the browser its CSRF cookie when it has none yet."""
    csrf, new_cookie = csrf_token(ctx, request)
    response = render(template, status_code=status_code, look=look, csrf=csrf, **context)
    if new_cookie is not None:
        set_csrf_cookie(ctx, response, new_cookie)
    return response
