"""UI-customization CSS, logo and terms-link rules (domain/branding.py)."""

from __future__ import annotations

import pytest

from cognate.domain.branding import (
    check_terms_link,
    image_type,
    page_link,
    parse_css,
    sanitized_css,
)
from cognate.errors import InvalidParameterException


def test_documented_classes_are_reserialised() -> None:
    css = """/* brand */
    .label-customizable, .inputField-customizable:focus { color: #333; FONT-WEIGHT: 600 }
    .submitButton-customizable:hover { background-color: rgba(0, 0, 0, .5) !important; }
    """
    assert sanitized_css(css) == (
        ".label-customizable { color: #333; font-weight: 600; }\n"
        ".inputField-customizable:focus { color: #333; font-weight: 600; }\n"
        ".submitButton-customizable:hover { background-color: rgba(0, 0, 0, .5) !important; }"
    )
    assert parse_css("") == ()


@pytest.mark.parametrize(
    "css",
    [
        ".logo-customizable { background-color: red; } body { color: red; }",
        ".logo-customizable { background-image: url(x.png); }",
        ".logo-customizable { color: url(x.png); }",
        ".logo-customizable { color: var(--x); }",
        ".logo-customizable { color: expression(alert(1)); }",
        "@media screen { .logo-customizable { color: red; } }",
        ".logo-customizable { color: red; } </style>",
        ".logo-customizable { color: red; /* open",
        ".logo-customizable { color }",
        ".logo-customizable { color: red",
        ".logo-customizable { font-family: 'x; }",
        "stray text .logo-customizable { color: red; }",
        ".logo-customizable::before { color: red; }",
    ],
)
def test_anything_else_is_refused(css: str) -> None:
    with pytest.raises(InvalidParameterException, match="Invalid CSS"):
        parse_css(css)


def test_images() -> None:
    assert image_type(b"\x89PNG\r\n\x1a\nrest") == "image/png"
    assert image_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    with pytest.raises(InvalidParameterException):
        image_type(b"<svg/>")
    with pytest.raises(InvalidParameterException):
        image_type(b"\x89PNG\r\n\x1a\n" + bytes(100 * 1024))


@pytest.mark.parametrize(
    "url",
    ["https://example.com/t", "http://localhost:3000/t", "http://127.0.0.1/t", "http://[::1]/"],
)
def test_terms_links_accepted(url: str) -> None:
    check_terms_link(url)


@pytest.mark.parametrize(
    "url", ["http://example.com/t", "data:text/html,x", "javascript:alert(1)", "https:///x", "//x"]
)
def test_terms_links_refused(url: str) -> None:
    with pytest.raises(InvalidParameterException):
        check_terms_link(url)


def test_page_link_prefers_default_then_english() -> None:
    assert page_link({"cognito:french": "f", "cognito:default": "d"}) == "d"
    assert page_link({"cognito:french": "f", "cognito:english": "e"}) == "e"
    assert page_link({"cognito:french": "f"}) == "f"
    assert page_link({}) is None
