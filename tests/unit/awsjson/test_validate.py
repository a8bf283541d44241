"""The input validator against the real Cognito models: AWS's messages, paths and redaction."""

from __future__ import annotations

import base64
import copy
import functools
import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import botocore.session
import pytest
import regex
from botocore.model import ShapeResolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cognate.awsjson.validate import _translate, java_pattern, validate_input
from cognate.errors import InvalidParameterException, SerializationException

_SESSION = botocore.session.get_session()
IDP = _SESSION.get_service_model("cognito-idp")
IDENTITY = _SESSION.get_service_model("cognito-identity")
POOL_ID_PATTERN = r"[\w-]+_[0-9a-zA-Z]+"


def idp_input(operation: str) -> Any:
    return IDP.operation_model(operation).input_shape


def message_of(shape: Any, data: dict[str, Any]) -> str:
    with pytest.raises(InvalidParameterException) as caught:
        validate_input(shape, data)
    return caught.value.message


def synthetic(shapes: dict[str, Any]) -> Any:
    """The `Input` shape of a hand-written model fragment."""
    return ShapeResolver(shapes).get_shape_by_name("Input")


# --- exact AWS messages on real operations -------------------------------------------------


def test_bad_pool_id_reports_the_pattern() -> None:
    message = message_of(idp_input("AdminGetUser"), {"UserPoolId": "bad", "Username": "bob"})
    assert message == (
        "1 validation error detected: Value 'bad' at 'userPoolId' failed to satisfy constraint: "
        f"Member must satisfy regular expression pattern: {POOL_ID_PATTERN}"
    )


def test_missing_required_member_is_null() -> None:
    assert message_of(idp_input("CreateUserPool"), {}) == (
        "1 validation error detected: Value null at 'poolName' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_errors_are_counted_in_model_order() -> None:
    assert message_of(idp_input("AdminGetUser"), {"Username": None}) == (
        "2 validation errors detected: "
        "Value null at 'userPoolId' failed to satisfy constraint: Member must not be null; "
        "Value null at 'username' failed to satisfy constraint: Member must not be null"
    )


def test_nested_range_uses_dotted_lower_camel_path() -> None:
    data = {"PoolName": "p", "Policies": {"PasswordPolicy": {"MinimumLength": 100}}}
    assert message_of(idp_input("CreateUserPool"), data) == (
        "1 validation error detected: Value '100' at 'policies.passwordPolicy.minimumLength' "
        "failed to satisfy constraint: Member must have value less than or equal to 99"
    )


def test_range_minimum_and_enum() -> None:
    shape = idp_input("ListUsers")
    assert message_of(shape, {"UserPoolId": "eu-west-1_a1", "Limit": 61}).endswith(
        "Value '61' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 60"
    )
    message = message_of(idp_input("InitiateAuth"), {"AuthFlow": "PLAIN", "ClientId": "c1"})
    assert message.startswith(
        "1 validation error detected: Value 'PLAIN' at 'authFlow' failed to satisfy constraint: "
        "Member must satisfy enum value set: [USER_SRP_AUTH, REFRESH_TOKEN_AUTH, "
    )


def test_sensitive_values_are_never_echoed() -> None:
    data = {"UserPoolId": "eu-west-1_a1", "Username": "bob", "TemporaryPassword": "two words"}
    message = message_of(idp_input("AdminCreateUser"), data)
    assert message == (
        "1 validation error detected: Value at 'temporaryPassword' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\S]+"
    )
    data = {"ClientId": "c1", "Username": "bob", "Password": "p", "SecretHash": "no spaces!"}
    assert "no spaces!" not in message_of(idp_input("SignUp"), data)


def test_structure_in_list_path_and_length_of_string() -> None:
    data = {
        "UserPoolId": "eu-west-1_a1",
        "Username": "bob",
        "UserAttributes": [{"Name": "email", "Value": "a@b"}, {"Name": "n" * 33, "Value": "x"}],
    }
    assert message_of(idp_input("AdminCreateUser"), data) == (
        "1 validation error detected: Value '" + "n" * 33 + "' at 'userAttributes.2.member.name' "
        "failed to satisfy constraint: Member must have length less than or equal to 32"
    )


def test_scalar_list_is_reported_once_at_the_list() -> None:
    data = {
        "UserPoolId": "eu-west-1_a1",
        "Username": "bob",
        "DesiredDeliveryMediums": ["EMAIL", "FAX", "PIGEON"],
    }
    assert message_of(idp_input("AdminCreateUser"), data) == (
        "1 validation error detected: Value '[EMAIL, FAX, PIGEON]' at 'desiredDeliveryMediums' "
        "failed to satisfy constraint: Member must satisfy constraint: "
        "[Member must satisfy enum value set: [SMS, EMAIL]]"
    )


def test_map_keys_are_reported_once_at_the_map() -> None:
    data = {"ResourceArn": "arn:aws:cognito-idp:us-east-1:123456789012:userpool/x"}
    assert message_of(idp_input("TagResource"), {**data, "Tags": {"": "v", "k": "v"}}) == (
        "1 validation error detected: Value '{=v, k=v}' at 'tags' failed to satisfy constraint: "
        "Map keys must satisfy constraint: [Member must have length less than or equal to 128, "
        "Member must have length greater than or equal to 1]"
    )


def test_sensitive_map_is_redacted() -> None:
    secret = "s" * 131073
    data = {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "c1", "AuthParameters": {"P": secret}}
    message = message_of(idp_input("InitiateAuth"), data)
    assert secret not in message
    assert message.startswith(
        "1 validation error detected: Value at 'authParameters' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length less than or equal to 131072"
    )


def test_length_counts_code_points() -> None:
    shape = synthetic(
        {
            "Input": {"type": "structure", "members": {"S": {"shape": "S"}}},
            "S": {"type": "string", "max": 3},
        }
    )
    validate_input(shape, {"S": "😀é😀"})
    assert "length less than or equal to 3" in message_of(shape, {"S": "😀😀😀😀"})


def test_unknown_members_ignored_and_no_input_shape() -> None:
    validate_input(idp_input("AdminGetUser"), {"UserPoolId": "a_b", "Username": "u", "X": {}})
    validate_input(None, {"anything": 1})


# --- type errors -----------------------------------------------------------------------------

_TYPED = {
    "Input": {
        "type": "structure",
        "members": {
            name: {"shape": name}
            for name in ("S", "I", "L", "B", "D", "T", "Blob", "St", "Li", "M")
        },
    },
    "S": {"type": "string"},
    "I": {"type": "integer"},
    "L": {"type": "long"},
    "B": {"type": "boolean"},
    "D": {"type": "double"},
    "T": {"type": "timestamp"},
    "Blob": {"type": "blob", "max": 2},
    "St": {"type": "structure", "members": {"S": {"shape": "S"}}},
    "Li": {"type": "list", "member": {"shape": "S"}},
    "M": {"type": "map", "key": {"shape": "S"}, "value": {"shape": "S"}},
}


@pytest.mark.parametrize(
    ("member", "value", "text"),
    [
        ("I", "5", "STRING_VALUE can not be converted to an Integer"),
        ("I", True, "BOOLEAN_VALUE can not be converted to an Integer"),
        ("I", 1.5, "NUMBER_VALUE can not be converted to an Integer"),
        ("I", 2**31, "NUMBER_VALUE can not be converted to an Integer"),
        ("L", 2**63, "NUMBER_VALUE can not be converted to a Long"),
        ("B", "true", "STRING_VALUE can not be converted to a Boolean"),
        ("S", 5, "NUMBER_VALUE can not be converted to a String"),
        ("S", {}, "Start of structure or map found where not expected."),
        ("S", [], "Start of list found where not expected."),
        ("D", "1.0", "STRING_VALUE can not be converted to a Double"),
        ("T", "yesterday", "STRING_VALUE can not be converted to a Timestamp"),
        ("T", [], "Start of list found where not expected."),
        ("Blob", "%%%", "Base64 encoded value could not be decoded."),
        ("St", "x", "STRING_VALUE can not be converted to a Structure"),
        ("Li", "x", "STRING_VALUE can not be converted to a List"),
        ("Li", [1], "NUMBER_VALUE can not be converted to a String"),
        ("M", [], "Start of list found where not expected."),
        ("M", {"k": 1}, "NUMBER_VALUE can not be converted to a String"),
    ],
)
def test_type_mismatch_is_a_serialization_error(member: str, value: Any, text: str) -> None:
    with pytest.raises(SerializationException) as caught:
        validate_input(synthetic(_TYPED), {member: value})
    assert caught.value.message == text


def test_well_typed_scalars_are_accepted() -> None:
    data = {
        "S": "s", "I": -(2**31), "L": 2**63 - 1, "B": False, "D": 1, "T": "2024-05-01T10:00:00Z",
        "Blob": base64.b64encode(b"ab").decode(), "St": {}, "Li": ["a"], "M": {"k": "v"},
    }  # fmt: skip
    validate_input(synthetic(_TYPED), data)
    validate_input(synthetic(_TYPED), {"T": 1714557600.5})
    message = message_of(synthetic(_TYPED), {"Blob": base64.b64encode(b"abc").decode()})
    assert message.endswith("at 'blob' failed to satisfy constraint: Member must have length less "
                            "than or equal to 2")  # fmt: skip


def test_recursive_shapes_compile_and_check_deeply() -> None:
    shape = synthetic(
        {"Input": {"type": "structure", "required": ["N"],
                   "members": {"N": {"shape": "N"}, "Next": {"shape": "Input"}}},
         "N": {"type": "integer", "min": 1}}
    )  # fmt: skip
    message = message_of(shape, {"N": 1, "Next": {"N": 1, "Next": {"N": 0}}})
    assert "Value '0' at 'next.next.n' failed" in message
    assert "Value null at 'next.n'" in message_of(shape, {"N": 1, "Next": {}})


# --- Java regular expressions ----------------------------------------------------------------


def _model_patterns() -> Iterator[str]:
    for model in (IDP, IDENTITY):
        for shape in model._service_description["shapes"].values():
            if "pattern" in shape:
                yield shape["pattern"]


@pytest.mark.parametrize("pattern", sorted(set(_model_patterns())))
def test_every_model_pattern_compiles(pattern: str) -> None:
    compiled = java_pattern(pattern)
    assert compiled.fullmatch("\n\t\x00" * 50) is None or pattern.startswith("(?s)")


@pytest.mark.parametrize("pattern", sorted(set(_model_patterns())))
def test_both_engines_agree_on_every_model_pattern(pattern: str) -> None:
    """Where java_pattern picked the standard library's engine, it matches what `regex` does
    on the same translation, over values built from the pattern's own characters and others."""
    chosen = java_pattern(pattern)
    reference = regex.compile(_translate(pattern))
    alphabet = sorted(set(pattern) | set("aZ09_-.@+:/= \n\t\r\x0bé😀\u2028"))
    rng = random.Random(pattern)
    values = ["".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(400)]
    values += ["", "a" * 200, "us-east-1_AbC123", "user@example.com", "+15555550100"]
    for value in values:
        assert (chosen.fullmatch(value) is None) == (reference.fullmatch(value) is None), value


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (POOL_ID_PATTERN, "us-east-1_AbC123", True),
        (POOL_ID_PATTERN, "us-east-1_AbC123 ", False),  # the whole value must match
        (POOL_ID_PATTERN, "é_1", False),  # Java's \w is ASCII
        (r"[\S]+", "a\u00a0b", True),  # Java's \s is ASCII, so NBSP is not whitespace
        (r"[\S]+", "a b", False),
        (r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", "Zoë😀", True),
        (r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", "a b", False),
        (r".*\{####\}.*", "code {####}", True),
        (r".*\{####\}.*", "a\r{####}", False),  # Java's . excludes every line terminator
        (r"(?s).*", "a\r\nb", True),
        (r"\d+", "٣", False),  # Java's \d is ASCII
        (r"\p{IsAlphabetic}+", "abcé", True),
        (r"^[0-9A-Za-z\.\-_]*(?<!\.)$", "a.b", True),
        (r"^[0-9A-Za-z\.\-_]*(?<!\.)$", "ab.", False),
    ],
)
def test_java_semantics(pattern: str, value: str, matches: bool) -> None:
    assert (java_pattern(pattern).fullmatch(value) is not None) is matches


def test_untranslatable_java_syntax_is_refused() -> None:
    with pytest.raises(ValueError, match="intersection"):
        java_pattern("[a-z&&[^e]]")
    with pytest.raises(ValueError, match="negated"):
        java_pattern(r"[\Sa]")


# --- property: generated valid inputs pass, each single violation is one error ---------------

# Subsets of the Java classes the models use, in Python `re` syntax, for generating values that
# the Java pattern certainly accepts (the validator's own regex is not used as the oracle).
# Compiled with re.ASCII, Python's \w, \d and \s are Java's.
_SAFE_CLASSES = {r"\p{Z}": " "}


def _printable_dot(match: re.Match[str]) -> str:
    return "[ -~]" if match.group() == "." else match.group()


def _safe_pattern(pattern: str) -> str:
    for java, python in _SAFE_CLASSES.items():
        pattern = pattern.replace(java, python)
    if not pattern.startswith("(?s)"):
        # Outside classes, Java's . also stops at \r: keep the generated text printable.
        pattern = re.sub(r"\[(?:\\.|[^\]])*\]|\\.|\.", _printable_dot, pattern)
    return re.sub(r"\\p\{\w+\}", "a-zA-Z0-9", pattern)


def _accepts_space(pattern: str) -> bool:
    """Exact for a space: it is in no Java class the models use but \\s, \\p{Z} and `.`."""
    return re.fullmatch(_safe_pattern(pattern), " ", re.ASCII) is not None


def _bounded(shape: Any, default_max: int) -> tuple[int, int]:
    low = shape.metadata.get("min", 0)
    return low, min(shape.metadata.get("max", default_max), low + default_max)


def _strings(shape: Any) -> st.SearchStrategy[str]:
    low, high = _bounded(shape, 20)
    if shape.enum:
        return st.sampled_from(shape.enum)
    pattern = shape.metadata.get("pattern")
    if pattern is None:
        return st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=low,
                       max_size=high)  # fmt: skip
    safe = re.compile(_safe_pattern(pattern), re.ASCII)
    alphabet = st.characters(min_codepoint=0, max_codepoint=126)
    generated = st.from_regex(safe, fullmatch=True, alphabet=alphabet)
    return generated.filter(lambda value: low <= len(value) <= shape.metadata.get("max", 10**9))


def values(shape: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that satisfy every constraint of `shape`."""
    kind = shape.type_name
    if kind == "structure":
        required = set(shape.required_members)
        members = {name: values(m, depth + 1) for name, m in shape.members.items()
                   if name in required or depth < 2}  # fmt: skip
        return st.fixed_dictionaries(
            {name: strategy for name, strategy in members.items() if name in required},
            optional={name: strategy for name, strategy in members.items() if name not in required},
        )
    if kind == "list":
        low, high = _bounded(shape, 2)
        return st.lists(values(shape.member, depth + 1), min_size=low, max_size=high)
    if kind == "map":
        low, high = _bounded(shape, 2)
        return st.dictionaries(values(shape.key, depth + 1), values(shape.value, depth + 1),
                               min_size=low, max_size=high)  # fmt: skip
    if kind in ("integer", "long"):
        return st.integers(
            shape.metadata.get("min", -(2**31)), shape.metadata.get("max", 2**31 - 1)
        )
    if kind == "string":
        return _strings(shape)
    scalars: dict[str, st.SearchStrategy[Any]] = {
        "boolean": st.booleans(),
        "timestamp": st.integers(0, 2**32),
        "double": st.floats(allow_nan=False, allow_infinity=False),
    }
    return scalars[kind]


Violation = tuple[str, Callable[[], None]]


def violations(value: Any, shape: Any, path: str) -> Iterator[Violation]:
    """(expected path, mutation breaking exactly one constraint) for each place in `value`."""
    kind = shape.type_name
    if kind == "structure":
        for name, member in shape.members.items():
            child = (
                f"{path}.{name[0].lower()}{name[1:]}" if path else f"{name[0].lower()}{name[1:]}"
            )
            if name in value:
                yield from _member_violations(value, name, member, child)
                if name in shape.required_members:
                    yield child, functools.partial(value.pop, name)
    elif kind == "list":
        for position, item in enumerate(value, start=1):
            if shape.member.type_name == "structure":
                yield from violations(item, shape.member, f"{path}.{position}.member")
    elif kind == "map":
        for item in value.values():
            if shape.value.type_name == "structure":
                yield from violations(item, shape.value, path)


def _member_violations(
    parent: dict[str, Any], name: str, shape: Any, path: str
) -> Iterator[Violation]:
    meta = shape.metadata
    kind = shape.type_name

    def put(new: Any) -> Callable[[], None]:
        return lambda: parent.__setitem__(name, new)

    if kind in ("integer", "long"):
        if "min" in meta and meta["min"] > -(2**31):
            yield path, put(meta["min"] - 1)
        if "max" in meta and meta["max"] < 2**31 - 1:
            yield path, put(meta["max"] + 1)
    elif kind == "string" and shape.enum:
        yield path, put("NOT" + "_" * 40)
    elif kind == "string" and "pattern" in meta and not _accepts_space(meta["pattern"]):
        filler = " " * max(meta.get("min", 1), 1)
        if len(filler) <= meta.get("max", 10**9) and not meta["pattern"].startswith("(?s)"):
            yield path, put(filler)
    elif kind in ("list", "map"):
        if meta.get("min", 0) >= 1:
            yield path, put([] if kind == "list" else {})
        yield from violations(parent[name], shape, path)
    elif kind == "structure":
        yield from violations(parent[name], shape, path)


_OPERATIONS = [
    (IDP, "AdminGetUser"),
    (IDP, "AdminCreateUser"),
    (IDP, "InitiateAuth"),
    (IDP, "ListUsers"),
    (IDP, "SignUp"),
    (IDP, "CreateUserPoolClient"),
    (IDP, "AdminUpdateUserAttributes"),
    (IDENTITY, "GetId"),
    (IDENTITY, "CreateIdentityPool"),
]


@pytest.mark.parametrize(("model", "operation"), _OPERATIONS, ids=[op for _, op in _OPERATIONS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_inputs_pass_and_single_violations_name_their_field(
    model: Any, operation: str, data: st.DataObject
) -> None:
    shape = model.operation_model(operation).input_shape
    request = data.draw(values(shape), label="request")
    validate_input(shape, request)
    broken = copy.deepcopy(request)
    candidates = list(violations(broken, shape, ""))
    if not candidates:
        return
    path, mutate = data.draw(st.sampled_from(candidates), label="violation")
    mutate()
    message = message_of(shape, broken)
    assert message.startswith("1 validation error detected: Value")
    assert f" at '{path}' failed to satisfy constraint: Member must " in message
