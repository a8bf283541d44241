"""Managed-login branding (CreateManagedLoginBranding's Settings and Assets) as the hosted
pages' look: CSS custom properties the page stylesheet reads, and which image serves as logo,
page background and favicon. Pure: no I/O.

Sources: the API reference's ManagedLoginBrandingType and AssetType, and the Settings document
Cognito returns for a style (DescribeManagedLoginBrandingByClient's example): colours are
`RRGGBBAA` hex strings under `lightMode` / `darkMode`, radii are numbers of pixels, and
`categories.global.colorSchemeMode` is LIGHT, DARK or DYNAMIC (follow the browser). Settings
has no font members, so fonts stay the page's own.

Only values that are plainly a hex colour or a number reach the CSS, re-serialised here: a
document cannot smuggle anything else into the page's `<style>`. Anything unknown or malformed
is ignored, as the style editor would never have produced it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

LIGHT: Final = "LIGHT"
DARK: Final = "DARK"
DYNAMIC: Final = "DYNAMIC"

_HEX = re.compile(r"[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?")
_MAX_RADIUS = 64.0
_MODE_KEYS: Final = {LIGHT: "lightMode", DARK: "darkMode"}

# CSS variable -> where its colour sits, with "MODE" standing for lightMode / darkMode.
_COLORS: Final[Mapping[str, tuple[str, ...]]] = {
    "--page-bg": ("components", "pageBackground", "MODE", "color"),
    "--heading": ("components", "pageText", "MODE", "headingColor"),
    "--text": ("components", "pageText", "MODE", "bodyColor"),
    "--description": ("components", "pageText", "MODE", "descriptionColor"),
    "--form-bg": ("components", "form", "MODE", "backgroundColor"),
    "--form-border": ("components", "form", "MODE", "borderColor"),
    "--button-bg": ("components", "primaryButton", "MODE", "defaults", "backgroundColor"),
    "--button-text": ("components", "primaryButton", "MODE", "defaults", "textColor"),
    "--button-hover-bg": ("components", "primaryButton", "MODE", "hover", "backgroundColor"),
    "--button-hover-text": ("components", "primaryButton", "MODE", "hover", "textColor"),
    "--idp-bg": ("components", "idpButton", "standard", "MODE", "defaults", "backgroundColor"),
    "--idp-border": ("components", "idpButton", "standard", "MODE", "defaults", "borderColor"),
    "--idp-text": ("components", "idpButton", "standard", "MODE", "defaults", "textColor"),
    "--error": ("components", "alert", "MODE", "error", "borderColor"),
    "--error-bg": ("components", "alert", "MODE", "error", "backgroundColor"),
    "--link": ("componentClasses", "link", "MODE", "defaults", "textColor"),
    "--link-hover": ("componentClasses", "link", "MODE", "hover", "textColor"),
    "--input-bg": ("componentClasses", "input", "MODE", "defaults", "backgroundColor"),
    "--input-border": ("componentClasses", "input", "MODE", "defaults", "borderColor"),
    "--label": ("componentClasses", "inputLabel", "MODE", "textColor"),
    "--focus": ("componentClasses", "focusState", "MODE", "borderColor"),
}
_RADII: Final[Mapping[str, tuple[str, ...]]] = {
    "--button-radius": ("componentClasses", "buttons", "borderRadius"),
    "--input-radius": ("componentClasses", "input", "borderRadius"),
    "--form-radius": ("components", "form", "borderRadius"),
    "--alert-radius": ("components", "alert", "borderRadius"),
}

# Image roles -> the asset categories that fill them, best first.
LOGO_CATEGORIES: Final = ("FORM_LOGO", "PAGE_HEADER_LOGO")
BACKGROUND_CATEGORY: Final = "PAGE_BACKGROUND"
FAVICON_CATEGORIES: Final = ("FAVICON_SVG", "FAVICON_ICO")
MEDIA_TYPES: Final = {
    "ICO": "image/x-icon",
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "SVG": "image/svg+xml",
    "WEBP": "image/webp",
}
# Settings switch that can turn an image role off (absent: on).
_IMAGE_SWITCHES: Final[Mapping[str, tuple[str, ...]]] = {
    "FORM_LOGO": ("components", "form", "logo", "enabled"),
    "PAGE_HEADER_LOGO": ("components", "pageHeader", "logo", "enabled"),
    "PAGE_BACKGROUND": ("components", "pageBackground", "image", "enabled"),
}


def _at(document: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(document, Mapping):
            return None
        document = document.get(key)
    return document


def color_scheme(settings: Any) -> str:
    """LIGHT, DARK or DYNAMIC: the style's `categories.global.colorSchemeMode` (LIGHT when
    absent or unknown, Cognito's default)."""
    mode = _at(settings, ("categories", "global", "colorSchemeMode"))
    return mode if mode in (LIGHT, DARK, DYNAMIC) else LIGHT


def _color(value: Any) -> str | None:
    if isinstance(value, str) and _HEX.fullmatch(value):
        return f"#{value.lower()}"
    return None


def _radius(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return f"{min(max(float(value), 0.0), _MAX_RADIUS):g}px"


def mode_variables(settings: Any, mode: str) -> dict[str, str]:
    """The colour variables of `mode` (LIGHT or DARK) that the settings set validly."""
    found = {}
    for variable, path in _COLORS.items():
        value = _color(_at(settings, [_MODE_KEYS[mode] if key == "MODE" else key for key in path]))
        if value is not None:
            found[variable] = value
    return found


def radius_variables(settings: Any) -> dict[str, str]:
    """The corner-radius variables the settings set validly (clamped to 0-64 px)."""
    found = {}
    for variable, path in _RADII.items():
        value = _radius(_at(settings, path))
        if value is not None:
            found[variable] = value
    return found


def _block(selector: str, declarations: Mapping[str, str]) -> str:
    body = " ".join(f"{name}: {value};" for name, value in declarations.items())
    return f"{selector} {{ {body} }}"


def style_css(settings: Any, *, background_url: str | None = None) -> str:
    """The stylesheet of a branding style: `:root` custom properties for its colour scheme
    (DYNAMIC: light, with the dark colours under `prefers-color-scheme: dark`), its radii and,
    given `background_url` (a same-origin path built by Cognate), the page background image."""
    scheme = color_scheme(settings)
    base_mode = DARK if scheme == DARK else LIGHT
    declarations = {"color-scheme": "light dark" if scheme == DYNAMIC else base_mode.lower()}
    declarations.update(mode_variables(settings, base_mode))
    declarations.update(radius_variables(settings))
    if background_url is not None:
        declarations["--page-bg-image"] = f'url("{background_url}")'
    css = _block(":root", declarations)
    dark = mode_variables(settings, DARK) if scheme == DYNAMIC else {}
    if dark:
        css += f"\n@media (prefers-color-scheme: dark) {{ {_block(':root', dark)} }}"
    return css


@dataclass(frozen=True, slots=True, kw_only=True)
class Image:
    """An asset chosen for a role on the page: where it sits in the list and its media type."""

    category: str
    color_mode: str
    media_type: str


def _mode_order(scheme: str) -> tuple[str, ...]:
    if scheme == DARK:
        return (DARK, DYNAMIC)
    if scheme == DYNAMIC:
        return (DYNAMIC, LIGHT)
    return (LIGHT, DYNAMIC)


def choose_image(
    settings: Any, assets: Sequence[Mapping[str, Any]], categories: Sequence[str]
) -> Image | None:
    """The asset for a role filled by `categories` (best first): one with Bytes and a known
    Extension, in the colour mode the style shows, and not switched off in the settings."""
    scheme = color_scheme(settings)
    for category in categories:
        if _at(settings, _IMAGE_SWITCHES.get(category, ())) is False:
            continue
        for mode in _mode_order(scheme):
            for asset in assets:
                media_type = MEDIA_TYPES.get(str(asset.get("Extension")))
                if (
                    asset.get("Category") == category
                    and asset.get("ColorMode") == mode
                    and asset.get("Bytes")
                    and media_type is not None
                ):
                    return Image(category=category, color_mode=mode, media_type=media_type)
    return None


def favicon(settings: Any, assets: Sequence[Mapping[str, Any]]) -> Image | None:
    """The favicon asset, among the types `components.favicon.enabledTypes` allows (all when
    the settings do not say)."""
    enabled = _at(settings, ("components", "favicon", "enabledTypes"))
    allowed = [
        category
        for category in FAVICON_CATEGORIES
        if not isinstance(enabled, list) or category.removeprefix("FAVICON_") in enabled
    ]
    for category in allowed:
        for asset in assets:
            media_type = MEDIA_TYPES.get(str(asset.get("Extension")))
            if asset.get("Category") == category and asset.get("Bytes") and media_type:
                return Image(
                    category=category, color_mode=str(asset["ColorMode"]), media_type=media_type
                )
    return None


def find_asset(
    assets: Sequence[Mapping[str, Any]], category: str, color_mode: str
) -> Mapping[str, Any] | None:
    """The asset of `category` and `color_mode`, if it has Bytes (one per pair, as
    CreateManagedLoginBranding checks)."""
    for asset in assets:
        if (
            asset.get("Category") == category
            and asset.get("ColorMode") == color_mode
            and asset.get("Bytes")
        ):
            return asset
    return None
