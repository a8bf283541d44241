"""Branding rules: which UI-customization CSS Cognito accepts, which logo images, which terms links.

Developer guide, "Hosted UI (classic) branding": the CSS may only style the documented
`*-customizable` classes (with `:hover`/`:focus` where listed) with plain properties; anything
else is refused with InvalidParameterException. Cognate is stricter where it protects the pages:
no `url()`, no `@` rules, no escapes, no functions beyond colours, and nothing that could close
the `<style>` element. What reaches a page is `sanitized_css`'s re-serialisation, never the raw
text, so a rule the parser misread can never leak markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from ipaddress import ip_address
from urllib.parse import urlsplit

from cognate.errors import InvalidParameterException

# The documented classes, with the pseudo-classes the guide lists for them.
CUSTOMIZABLE_SELECTORS = frozenset(
    {
        ".background-customizable",
        ".banner-customizable",
        ".errorMessage-customizable",
        ".idpButton-customizable",
        ".idpButton-customizable:hover",
        ".inputField-customizable",
        ".inputField-customizable:focus",
        ".label-customizable",
        ".legalText-customizable",
        ".logo-customizable",
        ".passwordCheck-notValid-customizable",
        ".passwordCheck-valid-customizable",
        ".redirect-customizable",
        ".socialButton-customizable",
        ".submitButton-customizable",
        ".submitButton-customizable:hover",
        ".textDescription-customizable",
    }
)

_SAFE_PROPERTIES = frozenset(
    {
        "background-color", "color", "opacity", "visibility", "display",
        "font-family", "font-size", "font-style", "font-weight", "letter-spacing",
        "line-height", "text-align", "text-decoration", "text-transform", "text-shadow",
        "border", "border-color", "border-style", "border-width", "border-radius",
        "border-top", "border-right", "border-bottom", "border-left", "box-shadow",
        "margin", "margin-top", "margin-right", "margin-bottom", "margin-left",
        "padding", "padding-top", "padding-right", "padding-bottom", "padding-left",
        "width", "height", "max-width", "max-height", "min-width", "min-height",
    }
)  # fmt: skip
_SAFE_FUNCTIONS = frozenset({"rgb", "rgba", "hsl", "hsla"})
# Letters, digits, spaces and the punctuation of lengths, colours and font lists: no `<`,
# `\`, `;`, `{`, `}`, `@`, `/` or `:` can appear in a value that passes.
_VALUE = re.compile(r"[\w\s#%.,()'\"+!-]+")
_FUNCTION = re.compile(r"([A-Za-z_-][\w-]*)\s*\(")
_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_RULE = re.compile(r"\s*([^{}]+?)\s*\{([^{}]*)\}", re.DOTALL)

MAX_IMAGE_BYTES = 100 * 1024
_IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


@dataclass(frozen=True, slots=True, kw_only=True)
class CssRule:
    """One accepted rule: a documented selector and its declarations, in order."""

    selector: str
    declarations: tuple[tuple[str, str], ...]


def _refuse(reason: str) -> InvalidParameterException:
    return InvalidParameterException(f"Invalid CSS: {reason}.")


def _declarations(body: str) -> tuple[tuple[str, str], ...]:
    found = []
    for declaration in body.split(";"):
        if not declaration.strip():
            continue
        name, colon, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip()
        if not colon or not value:
            raise _refuse(f"malformed declaration '{declaration.strip()}'")
        if name not in _SAFE_PROPERTIES:
            raise _refuse(f"property '{name}' is not allowed")
        if not _VALUE.fullmatch(value) or value.count("(") != value.count(")"):
            raise _refuse(f"value of '{name}' is not allowed")
        for function in _FUNCTION.findall(value):
            if function.lower() not in _SAFE_FUNCTIONS:
                raise _refuse(f"function '{function}' is not allowed")
        if value.count('"') % 2 or value.count("'") % 2:
            raise _refuse(f"value of '{name}' has an unterminated string")
        found.append((name, value))
    return tuple(found)


def parse_css(css: str) -> tuple[CssRule, ...]:
    """The rules of UI-customization CSS; InvalidParameterException for anything beyond the
    documented classes and safe properties (unknown selectors, @ rules, url(), expressions)."""
    text = _COMMENT.sub(" ", css)
    if "@" in text or "\\" in text or "<" in text or "/*" in text:
        raise _refuse("at-rules, escapes and markup are not allowed")
    rules = []
    position = 0
    for match in _RULE.finditer(text):
        if text[position : match.start()].strip():
            raise _refuse("unexpected text outside a rule")
        position = match.end()
        declarations = _declarations(match.group(2))
        for selector in (part.strip() for part in match.group(1).split(",")):
            if selector not in CUSTOMIZABLE_SELECTORS:
                raise _refuse(f"selector '{selector}' is not one of the customizable classes")
            rules.append(CssRule(selector=selector, declarations=declarations))
    if text[position:].strip():
        raise _refuse("unexpected text outside a rule")
    return tuple(rules)


def sanitized_css(css: str) -> str:
    """The CSS a page may embed: `css` re-serialised from its accepted rules."""
    lines = []
    for rule in parse_css(css):
        body = " ".join(f"{name}: {value};" for name, value in rule.declarations)
        lines.append(f"{rule.selector} {{ {body} }}")
    return "\n".join(lines)


def image_type(image: bytes) -> str:
    """The media type of a UI-customization logo (PNG or JPEG, at most 100 KB);
    InvalidParameterException otherwise."""
    if len(image) > MAX_IMAGE_BYTES:
        raise InvalidParameterException("The image file must not be larger than 100 KB.")
    for magic, media_type in _IMAGE_TYPES.items():
        if image.startswith(magic):
            return media_type
    raise InvalidParameterException("The image file must be a PNG or JPEG image.")


class TermsName(StrEnum):
    """The documents a terms resource can be."""

    TERMS_OF_USE = "terms-of-use"
    PRIVACY_POLICY = "privacy-policy"


TERMS_TITLES = {TermsName.TERMS_OF_USE: "Terms of use", TermsName.PRIVACY_POLICY: "Privacy policy"}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_terms_link(url: str) -> None:
    """A terms link must be an https URL with a host (plain http only to a loopback host, for
    development); InvalidParameterException otherwise."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:
        raise InvalidParameterException(f"Invalid terms link: {url}") from exc
    allowed = parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))
    if not allowed or not host:
        raise InvalidParameterException(
            f"Terms links must be https URLs (http only for a loopback host): {url}"
        )


def page_link(links: dict[str, str]) -> str | None:
    """The link a page shows: the default locale's, else the English one, else any."""
    for locale in ("cognito:default", "cognito:english"):
        if locale in links:
            return links[locale]
    return next(iter(links.values()), None)
