"""Managed-login branding Settings and Assets as the pages' CSS variables and images."""

from __future__ import annotations

from typing import Any

from cognate.domain import managed_login

SETTINGS: dict[str, Any] = {
    "categories": {"global": {"colorSchemeMode": "DYNAMIC"}},
    "components": {
        "primaryButton": {
            "lightMode": {"defaults": {"backgroundColor": "C0FFEEff", "textColor": "000000ff"}},
            "darkMode": {"defaults": {"backgroundColor": "112233ff"}},
        },
        "pageBackground": {"lightMode": {"color": "fafafa"}, "image": {"enabled": True}},
        "form": {"borderRadius": 12.0, "logo": {"enabled": True}},
    },
    "componentClasses": {"buttons": {"borderRadius": 500}, "input": {"borderRadius": True}},
}


def test_style_css_maps_colours_radii_and_scheme() -> None:
    css = managed_login.style_css(SETTINGS, background_url="/ui/p/c/assets/PAGE_BACKGROUND/LIGHT")
    root, dark = css.split("\n@media (prefers-color-scheme: dark) ")
    assert "color-scheme: light dark;" in root
    assert "--button-bg: #c0ffeeff;" in root
    assert "--button-text: #000000ff;" in root
    assert "--page-bg: #fafafa;" in root
    assert "--form-radius: 12px;" in root
    assert "--button-radius: 64px;" in root  # clamped
    assert "--input-radius" not in root  # a boolean is not a number
    assert '--page-bg-image: url("/ui/p/c/assets/PAGE_BACKGROUND/LIGHT");' in root
    assert dark == "{ :root { --button-bg: #112233ff; } }"


def test_light_and_dark_schemes_use_one_mode() -> None:
    light = managed_login.style_css({})
    assert light == ":root { color-scheme: light; }"
    dark_settings = {**SETTINGS, "categories": {"global": {"colorSchemeMode": "DARK"}}}
    dark = managed_login.style_css(dark_settings)
    assert "color-scheme: dark;" in dark
    assert "--button-bg: #112233ff;" in dark
    assert "@media" not in dark


def test_values_that_are_not_hex_colours_never_reach_the_css() -> None:
    hostile = {
        "components": {
            "primaryButton": {
                "lightMode": {"defaults": {"backgroundColor": "red;}</style><script>x()"}}
            },
            "pageText": {"lightMode": {"headingColor": "ff0000ff; background: url(x)"}},
        }
    }
    assert managed_login.style_css(hostile) == ":root { color-scheme: light; }"
    assert managed_login.style_css("not a document") == ":root { color-scheme: light; }"


def test_images_by_role_mode_and_switch() -> None:
    assets = [
        {"Category": "PAGE_HEADER_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": "eA=="},
        {"Category": "FORM_LOGO", "ColorMode": "DARK", "Extension": "SVG", "Bytes": "eA=="},
        {"Category": "FORM_LOGO", "ColorMode": "DYNAMIC", "Extension": "PNG", "Bytes": "eA=="},
        {"Category": "FAVICON_ICO", "ColorMode": "LIGHT", "Extension": "ICO", "Bytes": "eA=="},
        {"Category": "PAGE_BACKGROUND", "ColorMode": "LIGHT", "Extension": "JPEG",
         "ResourceId": "r1"},
    ]  # fmt: skip
    logo = managed_login.choose_image({}, assets, managed_login.LOGO_CATEGORIES)
    assert logo == managed_login.Image(
        category="FORM_LOGO", color_mode="DYNAMIC", media_type="image/png"
    )
    dark = {"categories": {"global": {"colorSchemeMode": "DARK"}}}
    chosen = managed_login.choose_image(dark, assets, managed_login.LOGO_CATEGORIES)
    assert chosen is not None and chosen.media_type == "image/svg+xml"
    off = {"components": {"form": {"logo": {"enabled": False}}}}
    header = managed_login.choose_image(off, assets, managed_login.LOGO_CATEGORIES)
    assert header is not None and header.category == "PAGE_HEADER_LOGO"
    # An asset known only by ResourceId has no bytes to serve.
    assert managed_login.choose_image({}, assets, ("PAGE_BACKGROUND",)) is None
    icon = managed_login.favicon({}, assets)
    assert icon is not None and icon.media_type == "image/x-icon"
    only_svg = {"components": {"favicon": {"enabledTypes": ["SVG"]}}}
    assert managed_login.favicon(only_svg, assets) is None
    assert managed_login.find_asset(assets, "FAVICON_ICO", "LIGHT") is assets[3]
    assert managed_login.find_asset(assets, "PAGE_BACKGROUND", "LIGHT") is None
