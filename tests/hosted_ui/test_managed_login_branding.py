"""A managed-login branding style restyles /login in a real browser (Debian's Chromium): the
primary button and page colours from Settings, the logo and background from Assets, and an
UpdateManagedLoginBranding shows on the next page load. A pool whose domain is the classic
hosted UI (ManagedLoginVersion 1) keeps the classic look."""

from __future__ import annotations

import struct
import uuid
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from playwright.sync_api import sync_playwright

from tests.conftest import RunningServer
from tests.oauth.flows import CALLBACK, CodeClient, code_client

CHROMIUM = Path("/usr/bin/chromium")


def _png(red: int, green: int, blue: int) -> bytes:
    """A 1x1 RGB PNG of one colour (RFC 2083)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, red, green, blue]))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _settings(button: str) -> dict[str, Any]:
    return {
        "categories": {"global": {"colorSchemeMode": "LIGHT"}},
        "components": {
            "primaryButton": {"lightMode": {"defaults": {"backgroundColor": button,
                                                         "textColor": "ffffffff"}}},
            "pageBackground": {"lightMode": {"color": "00ff00ff"}, "image": {"enabled": True}},
            "form": {"logo": {"enabled": True}, "lightMode": {"backgroundColor": "ffffffff"}},
        },
    }  # fmt: skip


def _authorize_url(server: RunningServer, web: CodeClient) -> str:
    params = {"response_type": "code", "client_id": web.client_id, "redirect_uri": CALLBACK,
              "scope": "openid"}  # fmt: skip
    return f"{server.url}/oauth2/authorize?{urlencode(params)}"


def _look(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """() => {
            const button = document.querySelector('form button[type="submit"]');
            const logo = document.querySelector('img.logo-customizable');
            const body = getComputedStyle(document.body);
            return {
                button: getComputedStyle(button).backgroundColor,
                background: body.backgroundColor,
                backgroundImage: body.backgroundImage,
                logo: logo ? logo.getAttribute('src') : null,
                logoWidth: logo ? logo.naturalWidth : 0,
            };
        }"""
    )
    return result


def test_branding_style_restyles_the_login_page(server: RunningServer, idp_client: Any) -> None:
    assert CHROMIUM.exists(), "install Debian's chromium: apt-get install -y chromium"
    web = code_client(idp_client)
    created = idp_client.create_managed_login_branding(
        UserPoolId=web.pool_id, ClientId=web.client_id, Settings=_settings("ff0000ff"),
        Assets=[
            {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG",
             "Bytes": _png(0, 0, 255)},
            {"Category": "PAGE_BACKGROUND", "ColorMode": "LIGHT", "Extension": "PNG",
             "Bytes": _png(255, 255, 0)},
        ],
    )["ManagedLoginBranding"]  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(color_scheme="light")
            page.goto(_authorize_url(server, web))
            page.wait_for_selector('form input[name="username"]')
            look = _look(page)
            assert look["button"] == "rgb(255, 0, 0)"
            assert look["background"] == "rgb(0, 255, 0)"
            assert "/assets/PAGE_BACKGROUND/LIGHT" in look["backgroundImage"]
            assert "/assets/FORM_LOGO/LIGHT" in look["logo"]
            # Loaded, so allowed by the page's CSP and served with a usable type.
            assert look["logoWidth"] == 1
            idp_client.update_managed_login_branding(
                UserPoolId=web.pool_id,
                ManagedLoginBrandingId=created["ManagedLoginBrandingId"],
                Settings=_settings("0000ffff"),
            )
            page.reload()
            page.wait_for_selector('form input[name="username"]')
            assert _look(page)["button"] == "rgb(0, 0, 255)"
        finally:
            browser.close()
    logo = httpx.get(server.url + _look_src(server, web))
    assert logo.status_code == 200
    assert logo.headers["content-type"] == "image/png"
    assert "sandbox" in logo.headers["content-security-policy"]


def _look_src(server: RunningServer, web: CodeClient) -> str:
    page = httpx.get(_authorize_url(server, web), follow_redirects=True).text
    start = page.index('src="', page.index("logo-customizable")) + len('src="')
    return page[start : page.index('"', start)].replace("&amp;", "&")


def test_classic_domain_keeps_the_ui_customization(server: RunningServer, idp_client: Any) -> None:
    web = code_client(idp_client)
    idp_client.create_managed_login_branding(
        UserPoolId=web.pool_id, ClientId=web.client_id, Settings=_settings("ff0000ff")
    )
    branded = httpx.get(_authorize_url(server, web), follow_redirects=True).text
    assert "--button-bg: #ff0000ff;" in branded
    idp_client.create_user_pool_domain(
        UserPoolId=web.pool_id, Domain=f"classic-{uuid.uuid4().hex[:8]}", ManagedLoginVersion=1
    )
    classic = httpx.get(_authorize_url(server, web), follow_redirects=True).text
    assert "--button-bg: #ff0000ff;" not in classic
