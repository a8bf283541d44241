"""Check a request body against its botocore input shape, answering exactly as AWS does.

Two kinds of failure, as AWS's JSON 1.1 services report them:

* a value of the wrong JSON type raises `SerializationException` at once (AWS stops parsing);
* constraint violations (required, length, range, enum, pattern) are all collected, in model
  member order, into one `InvalidParameterException`:
  `2 validation errors detected: Value null at 'userPoolId' failed to satisfy constraint:
  Member must not be null; Value 'x' at 'username' failed to satisfy constraint: ...`.

Paths are lowerCamelCase member names joined by dots; a structure inside a list is
`userAttributes.1.member.name` (1-based), a structure inside a map is `roleMappings.<key>.type`.
A list or map of scalars is reported once, at the collection, as AWS does:
`Member must satisfy constraint: [<the element's constraints>]`. Sensitive shapes (and
collections containing them) never echo their value: `Value at 'password' failed ...`.

Each input shape is compiled once into closures; requests never walk botocore shapes.
"""

from __future__ import annotations

import binascii
import contextlib
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

import regex

from cognate.errors import InvalidParameterException, SerializationException

# Appends constraint messages for `value` at `path`; raises SerializationException on a type error.
Checker = Callable[[Any, str, list[str]], None]
# The failed constraint texts of one scalar value (empty when it is valid).
Faults = Callable[[Any], tuple[str, ...]]

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
# Java's `.` stops at every line terminator, not only at "\n" as Python's does.
_JAVA_DOT = "[^\\n\\r\\u0085\\u2028\\u2029]"
# Java's \w, \d and \s are ASCII-only unless UNICODE_CHARACTER_CLASS is set (Cognito never sets it).
_JAVA_CLASS_BODY = {"w": "a-zA-Z0-9_", "d": "0-9", "s": " \\t\\n\\x0B\\f\\r"}

_compiled: dict[int, tuple[Any, Checker]] = {}


def validate_input(shape: Any, data: Mapping[str, Any]) -> None:
    """Raise unless `data` satisfies `shape` (a botocore StructureShape; None means no input).

    Unknown members are ignored and JSON null counts as absent, as in AWS.
    """
    if shape is None:
        return
    entry = _compiled.get(id(shape))
    if entry is None or entry[0] is not shape:
        # Keeping the shape in the entry pins its id, so the cache key can never be reused.
        entry = (shape, _compile(shape, {}))
        _compiled[id(shape)] = entry
    errors: list[str] = []
    entry[1](data, "", errors)
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        raise InvalidParameterException(
            f"{len(errors)} validation {noun} detected: " + "; ".join(errors)
        )


def java_pattern(pattern: str) -> Any:
    """Compile a Java regular expression (as in the botocore models) to an equivalent `regex`.

    Raises ValueError for Java syntax this translation does not cover, so that a model update
    bringing one fails the test over every model pattern instead of matching wrongly.
    """
    return _compile_pattern(pattern)


@cache
def _compile_pattern(pattern: str) -> Any:
    translated = _translate(pattern)
    # The standard library's engine matches the same translated syntax several times faster
    # (an access token against its pattern: ~15 us -> ~2 us); `regex` stays for what `re`
    # lacks, such as \p{..} properties. tests/unit/awsjson checks both agree on every model
    # pattern.
    if "\\p{" not in translated and "\\P{" not in translated:
        with contextlib.suppress(re.error):
            return re.compile(translated)
    return regex.compile(translated)


def _translate(pattern: str) -> str:
    # Java spells binary properties \p{IsAlphabetic}; regex spells them \p{Alphabetic}.
    pattern = regex.sub(r"\\p\{Is(\w+)\}", r"\\p{\1}", pattern)
    dot_all = pattern.startswith("(?s)")
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            escape = pattern[index + 1]
            out.append(_translate_escape(pattern, index, escape, in_class))
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            if pattern.startswith("[^", index):
                out.append("[^")
                index += 2
                continue
        elif char == "]" and in_class and out[-1] not in ("[", "[^"):
            in_class = False
        elif char == "&" and in_class and pattern.startswith("&&", index):
            raise ValueError(f"Java class intersection is not supported: {pattern!r}")
        elif char == "." and not in_class and not dot_all:
            char = _JAVA_DOT
        out.append(char)
        index += 1
    return "".join(out)


def _translate_escape(pattern: str, index: int, escape: str, in_class: bool) -> str:
    lower = escape.lower()
    if lower in _JAVA_CLASS_BODY:
        body = _JAVA_CLASS_BODY[lower]
        if escape.islower():
            return body if in_class else f"[{body}]"
        alone = pattern[index - 1 : index + 3] == f"[\\{escape}]"
        if in_class and not alone:
            raise ValueError(f"negated class escape inside a class: {pattern!r}")
        # `[\S]` becomes `[^...]`: the caller already wrote the opening bracket.
        return f"^{body}" if in_class else f"[^{body}]"
    return "\\" + escape


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _render(value: Any) -> str:
    """The value as Java's toString would print it in an AWS message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_render(item)}" for key, item in value.items()) + "}"
    return str(value)


def _message(value: Any, path: str, constraint: str, is_sensitive: bool) -> str:
    shown = "" if is_sensitive else f" '{_render(value)}'"
    return f"Value{shown} at '{path}' failed to satisfy constraint: {constraint}"


def _type_error(value: Any, expected: str) -> SerializationException:
    if isinstance(value, dict):
        return SerializationException("Start of structure or map found where not expected.")
    if isinstance(value, list):
        return SerializationException("Start of list found where not expected.")
    if isinstance(value, str):
        json_kind = "STRING_VALUE"
    elif isinstance(value, bool):
        json_kind = "BOOLEAN_VALUE"
    else:
        json_kind = "NUMBER_VALUE"
    article = "an" if expected[0] in "AEIOU" else "a"
    return SerializationException(f"{json_kind} can not be converted to {article} {expected}")


def _is_sensitive(shape: Any, seen: frozenset[str] = frozenset()) -> bool:
    """True when the shape, or anything it contains, must not be echoed in a message."""
    if shape.metadata.get("sensitive"):
        return True
    if shape.name in seen:
        return False
    seen = seen | {shape.name}
    kind = shape.type_name
    if kind == "structure":
        return any(_is_sensitive(member, seen) for member in shape.members.values())
    if kind == "list":
        return _is_sensitive(shape.member, seen)
    if kind == "map":
        return _is_sensitive(shape.key, seen) or _is_sensitive(shape.value, seen)
    return False


def _compile(shape: Any, memo: dict[str, Checker]) -> Checker:
    """A checker for a structure, list or map shape (memoized by name: shapes may recurse)."""
    if shape.name in memo:
        return memo[shape.name]
    resolved: list[Checker] = []
    memo[shape.name] = lambda value, path, errors: resolved[0](value, path, errors)
    kind = shape.type_name
    if kind == "structure":
        checker = _structure(shape, memo)
    elif kind == "list":
        checker = _list(shape, memo)
    else:
        checker = _map(shape, memo)
    resolved.append(checker)
    memo[shape.name] = checker
    return checker


def _is_container(shape: Any) -> bool:
    return shape.type_name in ("structure", "list", "map")


def _member_checker(shape: Any, memo: dict[str, Checker]) -> Checker:
    """A checker for a member of any type: containers recurse, scalars report each fault."""
    if _is_container(shape):
        return _compile(shape, memo)
    faults = _scalar(shape)
    is_sensitive = _is_sensitive(shape)

    def check(value: Any, path: str, errors: list[str]) -> None:
        for fault in faults(value):
            errors.append(_message(value, path, fault, is_sensitive))

    return check


def _structure(shape: Any, memo: dict[str, Checker]) -> Checker:
    required = set(shape.required_members)
    members = tuple(
        (name, _lower_camel(name), _member_checker(member, memo), name in required)
        for name, member in shape.members.items()
    )

    def check(value: Any, path: str, errors: list[str]) -> None:
        if type(value) is not dict:
            raise _type_error(value, "Structure")
        prefix = f"{path}." if path else ""
        for name, camel, checker, is_required in members:
            item = value.get(name)
            if item is None:
                if is_required:
                    errors.append(f"Value null at '{prefix}{camel}' {_NULL}")
                continue
            checker(item, prefix + camel, errors)

    return check


_NULL = "failed to satisfy constraint: Member must not be null"


def _size_faults(shape: Any, size: int) -> tuple[str, ...]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    faults: tuple[str, ...] = ()
    if low is not None and size < low:
        faults += (f"Member must have length greater than or equal to {low}",)
    if high is not None and size > high:
        faults += (f"Member must have length less than or equal to {high}",)
    return faults


def _element_checker(shape: Any, memo: dict[str, Checker], label: str) -> Checker:
    """Checks one list element or map value/key; scalars fail as one collection-level error."""
    if _is_container(shape):
        return _compile(shape, memo)
    faults = _scalar(shape)
    rule = f"{label} must satisfy constraint: [" + ", ".join(_describe(shape)) + "]"

    def check(value: Any, path: str, errors: list[str]) -> None:
        if value is None or faults(value):
            errors.append(rule)

    return check


def _list(shape: Any, memo: dict[str, Checker]) -> Checker:
    element = _element_checker(shape.member, memo, "Member")
    is_nested = _is_container(shape.member)
    is_sensitive = _is_sensitive(shape)

    def check(value: Any, path: str, errors: list[str]) -> None:
        if type(value) is not list:
            raise _type_error(value, "List")
        for fault in _size_faults(shape, len(value)):
            errors.append(_message(value, path, fault, is_sensitive))
        failed: list[str] = []
        for position, item in enumerate(value, start=1):
            if is_nested and item is not None:
                element(item, f"{path}.{position}.member", errors)
            elif not failed:
                element(item, path, failed)
        errors.extend(_message(value, path, fault, is_sensitive) for fault in failed)

    return check


def _map(shape: Any, memo: dict[str, Checker]) -> Checker:
    key_check = _element_checker(shape.key, memo, "Map keys")
    value_check = _element_checker(shape.value, memo, "Map value")
    is_nested = _is_container(shape.value)
    is_sensitive = _is_sensitive(shape)

    def check(value: Any, path: str, errors: list[str]) -> None:
        if type(value) is not dict:
            raise _type_error(value, "Map")
        for fault in _size_faults(shape, len(value)):
            errors.append(_message(value, path, fault, is_sensitive))
        key_failed: list[str] = []
        value_failed: list[str] = []
        for key, item in value.items():
            if not key_failed:
                key_check(key, path, key_failed)
            if is_nested and item is not None:
                value_check(item, f"{path}.{key}", errors)
            elif not value_failed:
                value_check(item, path, value_failed)
        for fault in key_failed + value_failed:
            errors.append(_message(value, path, fault, is_sensitive))

    return check


def _describe(shape: Any) -> list[str]:
    """Every constraint text of a scalar shape, in the order AWS lists them."""
    meta = shape.metadata
    unit = "value" if shape.type_name in ("integer", "long") else "length"
    texts: list[str] = []
    if meta.get("max") is not None:
        texts.append(f"Member must have {unit} less than or equal to {meta['max']}")
    if meta.get("min") is not None:
        texts.append(f"Member must have {unit} greater than or equal to {meta['min']}")
    if meta.get("pattern") is not None:
        texts.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    if getattr(shape, "enum", None):
        texts.append(_enum_text(shape.enum))
    return texts


def _enum_text(values: list[str]) -> str:
    return "Member must satisfy enum value set: [" + ", ".join(values) + "]"


def _scalar(shape: Any) -> Faults:
    """The fault finder of a scalar shape; it raises SerializationException on a wrong type."""
    kind = shape.type_name
    if kind == "string":
        return _string(shape)
    if kind in ("integer", "long"):
        return _integer(shape, "Integer" if kind == "integer" else "Long")
    if kind == "blob":
        return _blob(shape)
    simple: dict[str, Callable[[Any], bool]] = {
        "boolean": lambda value: type(value) is bool,
        "double": _is_number,
        "float": _is_number,
        "timestamp": _is_timestamp,
    }
    if kind not in simple:
        return lambda value: ()  # document: any JSON value
    is_valid = simple[kind]
    expected = kind.capitalize()

    def faults(value: Any) -> tuple[str, ...]:
        if not is_valid(value):
            raise _type_error(value, expected)
        return ()

    return faults


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _is_timestamp(value: Any) -> bool:
    """Epoch seconds as a number or string, or an ISO 8601 string (what botocore may send)."""
    if _is_number(value):
        return True
    if type(value) is not str:
        return False
    try:
        float(value)
    except ValueError:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
    return True


# Where Cognito's servers accept more than the model says. DomainType's model pattern admits
# only a prefix label, yet CreateUserPoolDomain takes a custom domain's full host name
# (`auth.example.com`); domain/client.py holds prefix domains to the model's pattern.
_SERVER_CONSTRAINTS: dict[str, dict[str, Any]] = {
    "DomainType": {
        "min": 1,
        "max": 253,
        "pattern": r"^(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)*"
        r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$",
    },
}


def _string(shape: Any) -> Faults:
    meta = _SERVER_CONSTRAINTS.get(shape.name, shape.metadata)
    low, high = meta.get("min"), meta.get("max")
    pattern = meta.get("pattern")
    matcher = _compile_pattern(pattern).fullmatch if pattern is not None else None
    pattern_text = f"Member must satisfy regular expression pattern: {pattern}"
    allowed = frozenset(shape.enum) if getattr(shape, "enum", None) else None
    enum_text = _enum_text(shape.enum) if allowed else ""

    def faults(value: Any) -> tuple[str, ...]:
        if type(value) is not str:
            raise _type_error(value, "String")
        found: tuple[str, ...] = ()
        # len() counts code points, which is what AWS's length constraints count.
        size = len(value)
        if (low is not None and size < low) or (high is not None and size > high):
            found = _size_faults(shape, size)
        if matcher is not None and matcher(value) is None:
            found += (pattern_text,)
        if allowed is not None and value not in allowed:
            found += (enum_text,)
        return found

    return faults


def _integer(shape: Any, expected: str) -> Faults:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    floor, ceiling = _INT32 if expected == "Integer" else _INT64

    def faults(value: Any) -> tuple[str, ...]:
        if type(value) is not int or not floor <= value <= ceiling:
            raise _type_error(value, expected)
        found: tuple[str, ...] = ()
        if low is not None and value < low:
            found += (f"Member must have value greater than or equal to {low}",)
        if high is not None and value > high:
            found += (f"Member must have value less than or equal to {high}",)
        return found

    return faults


def _blob(shape: Any) -> Faults:
    def faults(value: Any) -> tuple[str, ...]:
        if type(value) is not str:
            raise _type_error(value, "Blob")
        try:
            decoded = binascii.a2b_base64(value, strict_mode=True)
        except binascii.Error as exc:
            raise SerializationException("Base64 encoded value could not be decoded.") from exc
        return _size_faults(shape, len(decoded))

    return faults
