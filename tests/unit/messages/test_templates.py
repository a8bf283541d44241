"""Cognito message templates, the HTML heuristics and the destination masks."""

from __future__ import annotations

import pytest

from cognate.messages import templates
from cognate.messages.templates import html_to_text, looks_like_html, mask_email, mask_phone, render


def test_render_fills_code_and_username() -> None:
    text = render(templates.DEFAULT_INVITE_EMAIL, code="Tmp#1234", username="jane")
    assert text == "Your username is jane and temporary password is Tmp#1234. "


def test_render_replaces_every_occurrence() -> None:
    assert render("{####}-{####} {username}{username}", code="1", username="u") == "1-1 uu"


def test_render_leaves_other_braces_and_missing_values() -> None:
    template = "Hi {name}, code {####}, user {username}, {###} {####"
    assert render(template, code="42") == "Hi {name}, code 42, user {username}, {###} {####"
    assert render(template) == template


def test_render_does_not_substitute_inside_values() -> None:
    # A temporary password may itself contain a placeholder's text.
    assert render("{####} / {username}", code="{username}", username="{####}") == (
        "{username} / {####}"
    )


def test_default_texts_are_cognitos() -> None:
    assert templates.DEFAULT_EMAIL_VERIFICATION_SUBJECT == "Your verification code"
    assert templates.DEFAULT_EMAIL_VERIFICATION_MESSAGE == "Your verification code is {####}. "
    assert templates.DEFAULT_SMS_VERIFICATION_MESSAGE == "Your verification code is {####}. "
    assert templates.DEFAULT_INVITE_SUBJECT == "Your temporary password"
    assert templates.DEFAULT_INVITE_SMS == templates.DEFAULT_INVITE_EMAIL


@pytest.mark.parametrize(
    "body",
    [
        "<p>Your code is {####}</p>",
        "Code: <b>{####}</b>",
        "Line one<br>line two",
        "<!DOCTYPE html><html><body>x</body></html>",
        "a<br/>b",
    ],
)
def test_looks_like_html_detects_markup(body: str) -> None:
    assert looks_like_html(body)


@pytest.mark.parametrize(
    "body",
    [
        "Your verification code is {####}. ",
        "a < b and c > d",
        "1 <2 and 3> 2",
        "Use <= or >= & friends",
        "",
    ],
)
def test_looks_like_html_leaves_plain_text(body: str) -> None:
    assert not looks_like_html(body)


def test_html_to_text_strips_tags_and_keeps_paragraphs() -> None:
    body = (
        "<html><head><title>T</title><style>p {color: red}</style></head><body>"
        "<h1>Welcome</h1><p>Your   code is <b>123456</b>.</p>"
        "<p>Bye &amp; thanks</p>line<br>break<script>alert(1)</script></body></html>"
    )
    assert html_to_text(body) == "Welcome\nYour code is 123456.\nBye & thanks\nline\nbreak"


def test_html_to_text_collapses_blank_lines() -> None:
    assert html_to_text("<p>a</p>\n\n\n\n<p>b</p>") == "a\n\nb"


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("jane@example.com", "j***@e***"),
        ("j@e.io", "j***@e***"),
        ("noatsign", "n***"),
        ("", "***"),
    ],
)
def test_mask_email(address: str, masked: str) -> None:
    assert mask_email(address) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+15551231234", "+*******1234"),
        ("+447700900123", "+********0123"),
        ("+1234", "+****"),
        ("", ""),
    ],
)
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked
