"""Cognito's message templates, default texts and destination masks: pure functions, no I/O.

Source: Cognito developer guide, "Customizing email verification messages" and
"Customizing user invitation messages": a template may use `{####}` for the code (or the
temporary password) and `{username}` for the user name; any other brace text stays as written.
The `CodeDeliveryDetails.Destination` masks (`j***@e***`, `+*******1234`) are the shapes seen
in recorded Cognito responses.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

DEFAULT_EMAIL_VERIFICATION_SUBJECT = "Your verification code"
DEFAULT_EMAIL_VERIFICATION_MESSAGE = "Your verification code is {####}. "
DEFAULT_SMS_VERIFICATION_MESSAGE = "Your verification code is {####}. "
DEFAULT_INVITE_SUBJECT = "Your temporary password"
DEFAULT_INVITE_EMAIL = "Your username is {username} and temporary password is {####}. "
DEFAULT_INVITE_SMS = "Your username is {username} and temporary password is {####}. "

CODE_PLACEHOLDER = "{####}"
USERNAME_PLACEHOLDER = "{username}"

_PLACEHOLDERS = re.compile(r"\{####\}|\{username\}")

# Tags whose end starts a new line in the text alternative, so paragraphs stay apart.
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
)
# Tags whose content is never text a reader sees.
_HIDDEN_TAGS = frozenset({"script", "style", "head", "title"})


def render(template: str, *, code: str | None = None, username: str | None = None) -> str:
    """Fill a Cognito template in one pass.

    Only `{####}` and `{username}` are placeholders; a placeholder whose value is None stays as
    written. A single pass guarantees that text inside a substituted value (a temporary password
    may contain braces) is never substituted again.
    """
    values = {CODE_PLACEHOLDER: code, USERNAME_PLACEHOLDER: username}

    def substitute(match: re.Match[str]) -> str:
        value = values[match.group(0)]
        return match.group(0) if value is None else value

    return _PLACEHOLDERS.sub(substitute, template)


class _TagScanner(HTMLParser):
    """Collects whether any markup was seen, and the visible text with block breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.has_markup = False
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.has_markup = True
        if tag in _HIDDEN_TAGS:
            self._hidden_depth += 1
        elif tag == "br":
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.has_markup = True
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self.has_markup = True
        if tag in _HIDDEN_TAGS:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_decl(self, decl: str) -> None:
        self.has_markup = True

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


def _scan(body: str) -> _TagScanner:
    scanner = _TagScanner()
    scanner.feed(body)
    scanner.close()
    return scanner


def looks_like_html(body: str) -> bool:
    """True when the body contains at least one HTML tag or declaration.

    Decides whether an email body is sent as HTML with a text alternative. A bare `<` or `>`
    (as in "a < b") is not markup, so plain-text templates stay plain text.
    """
    return _scan(body).has_markup


def html_to_text(body: str) -> str:
    """The visible text of an HTML body, for the text/plain alternative.

    Tags are dropped, entities decoded, script and style content omitted, block elements end a
    line, runs of spaces collapse, and at most one blank line separates paragraphs.
    """
    raw = "".join(_scan(body).parts)
    lines = [" ".join(line.split()) for line in raw.splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def mask_email(address: str) -> str:
    """Cognito's masked email destination: `jane@example.com` -> `j***@e***`.

    Reveals at most the first character of the local part and of the domain.
    """
    local, sep, domain = address.partition("@")
    masked_local = f"{local[:1]}***"
    if not sep:
        return masked_local
    return f"{masked_local}@{domain[:1]}***"


def mask_phone(number: str) -> str:
    """Cognito's masked phone destination: `+15551231234` -> `+*******1234`.

    Every digit except the last four becomes `*`; a number of four digits or fewer is masked
    completely so that the mask never reveals a whole number. Non-digits (the `+`) stay.
    """
    digit_count = sum(character.isdigit() for character in number)
    keep = 4 if digit_count > 4 else 0
    masked: list[str] = []
    seen = 0
    for character in number:
        if character.isdigit():
            seen += 1
            masked.append(character if seen > digit_count - keep else "*")
        else:
            masked.append(character)
    return "".join(masked)
