"""ListUsers filters: Cognito's one-attribute `Filter` grammar, parsed and rendered.

Grammar (API reference, ListUsers `Filter`; developer guide "Searching for users using the
ListUsers API"): `attribute = "value"` for an exact match, `attribute ^= "value"` for a prefix
match; spaces around the operator are optional; inside the double quotes a backslash escapes
the next character (`\\"` is a quote, `\\\\` a backslash). An empty filter lists every user.
Only the attributes in `FILTER_ATTRIBUTES` are searchable; custom attributes are not.

Pure: the store turns a `UserFilter` into an indexed query (store/user_listing.py).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from cognate.domain.user import UserStatus
from cognate.errors import InvalidParameterException

FILTER_ATTRIBUTES = frozenset(
    {
        "username",
        "email",
        "phone_number",
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "cognito:user_status",
        "status",
        "sub",
    }
)

# The `status` attribute's values, as the console calls them (case-sensitive in Cognito).
ENABLED_LABELS = {"Enabled": True, "Disabled": False}

_PARSE_ERROR = "Error while parsing filter."
# attribute, operator, then the opening quote; the value is scanned by hand for its escapes.
_HEAD = re.compile(r'\s*([^\s=^"]+)\s*(\^=|=)\s*"')
_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)


class FilterOperator(enum.StrEnum):
    """How a filter compares; values are the wire operators."""

    EQUALS = "="
    STARTS_WITH = "^="


@dataclass(frozen=True, slots=True, kw_only=True)
class UserFilter:
    """One parsed ListUsers filter: `attribute operator "value"`."""

    attribute: str
    operator: FilterOperator
    value: str

    @property
    def is_prefix(self) -> bool:
        """True for `^=` (starts with), False for `=` (exact)."""
        return self.operator is FilterOperator.STARTS_WITH

    def matches(self, candidate: str) -> bool:
        """Whether `candidate` satisfies this filter's comparison (no attribute semantics)."""
        if self.is_prefix:
            return candidate.startswith(self.value)
        return candidate == self.value


def parse(text: str) -> UserFilter | None:
    """The filter in `text`, or None when `text` is blank (list every user).

    Raises InvalidParameterException "Error while parsing filter." for malformed text and
    "Invalid search attribute: <name>" for an attribute Cognito cannot search on.
    """
    if not text.strip():
        return None
    head = _HEAD.match(text)
    if head is None:
        raise InvalidParameterException(_PARSE_ERROR)
    value, end = _quoted_value(text, head.end())
    if text[end:].strip():
        raise InvalidParameterException(_PARSE_ERROR)
    attribute = head.group(1)
    if attribute not in FILTER_ATTRIBUTES:
        raise InvalidParameterException(f"Invalid search attribute: {attribute}")
    return UserFilter(attribute=attribute, operator=FilterOperator(head.group(2)), value=value)


def _quoted_value(text: str, start: int) -> tuple[str, int]:
    """The unescaped value starting after an opening quote, and the index after its closing one."""
    chars: list[str] = []
    index = start
    while index < len(text):
        char = text[index]
        if char == '"':
            return "".join(chars), index + 1
        if char == "\\":
            index += 1
            if index == len(text):
                break
            char = text[index]
        # No stored value can hold these: PostgreSQL refuses NUL, UTF-8 has no lone surrogate.
        if char == "\x00" or ord(char) in _SURROGATES:
            break
        chars.append(char)
        index += 1
    raise InvalidParameterException(_PARSE_ERROR)


def render(user_filter: UserFilter) -> str:
    """The filter text of `user_filter`; `parse(render(f)) == f` for every valid filter."""
    escaped = user_filter.value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{user_filter.attribute} {user_filter.operator.value} "{escaped}"'


def enabled_values(user_filter: UserFilter) -> list[bool]:
    """The `enabled` flags a `status` filter selects (an empty list selects nobody)."""
    return [flag for label, flag in ENABLED_LABELS.items() if user_filter.matches(label)]


def user_statuses(user_filter: UserFilter) -> list[str]:
    """The user statuses a `cognito:user_status` filter selects; Cognito ignores case here."""
    wanted = UserFilter(
        attribute=user_filter.attribute,
        operator=user_filter.operator,
        value=user_filter.value.upper(),
    )
    return [status.value for status in UserStatus if wanted.matches(status.value)]


def prefix_upper_bound(prefix: str) -> str | None:
    """The least string above every string that starts with `prefix`, in code-point order.

    `value >= prefix AND value < bound` is then exactly `value` starting with `prefix`, a range
    an ordinary btree index answers (unlike LIKE on PostgreSQL without text_pattern_ops).
    None when no such string exists (`prefix` is empty or only U+10FFFF characters).
    """
    stem = prefix.rstrip(chr(_MAX_CODE_POINT))
    if not stem:
        return None
    following = ord(stem[-1]) + 1
    if following in _SURROGATES:
        # Surrogates cannot be stored as UTF-8; the next storable code point follows them.
        following = _SURROGATES.stop
    return stem[:-1] + chr(following)
