"""A user pool's password policy: checking new passwords and making temporary ones.

The policy is the wire `PasswordPolicyType` (Cognito API reference): MinimumLength,
RequireUppercase, RequireLowercase, RequireNumbers, RequireSymbols,
TemporaryPasswordValidityDays, PasswordHistorySize. Character classes follow the Cognito
developer guide "Adding user pool password requirements": uppercase and lowercase letters,
digits, and the symbols ^ $ * . [ ] { } ( ) ? " ! @ # % & / \\ , > < ' : ; | _ ~ ` = + - and
the space character. Letters and digits are Basic Latin only, so the rule does not depend on
any client's Unicode tables.

Leading or trailing whitespace is not checked here: the model's PasswordType pattern rejects
it before a handler runs (InvalidParameterException).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from cognate.errors import InvalidPasswordException

DEFAULT_PASSWORD_POLICY: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "MinimumLength": 8,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 7,
    }
)
"""The policy Cognito gives a pool created without one (CreateUserPool defaults)."""

SYMBOLS: Final = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "
"""The characters Cognito counts as symbols, space included."""

PUBLIC_PREFIX: Final = "Password did not conform with policy: "
"""Message prefix observed from the public operations (SignUp, ChangePassword, ...)."""

ADMIN_PREFIX: Final = "Password did not conform with password policy: "
"""Message prefix observed from AdminCreateUser and AdminSetUserPassword."""

_MINIMUM_TEMPORARY_LENGTH = 12
# Temporary passwords travel in emails and SMS: no space, quotes, backslash or HTML brackets.
_TEMPORARY_SYMBOLS = "^$*.[]{}()?!@#%&/,:;|_~=+-"
# Checked in this order, after the length: the order of PasswordPolicyType's fields.
_CLASSES: Final = (
    ("RequireUppercase", frozenset(string.ascii_uppercase), "uppercase"),
    ("RequireLowercase", frozenset(string.ascii_lowercase), "lowercase"),
    ("RequireNumbers", frozenset(string.digits), "numeric"),
    ("RequireSymbols", frozenset(SYMBOLS), "symbol"),
)


def check_password(policy: Mapping[str, Any], password: str, *, admin: bool = False) -> None:
    """Raise InvalidPasswordException naming the first rule `password` breaks, if any.

    Rules run in the order length, uppercase, lowercase, numeric, symbol, and only the first
    failure is reported, as Cognito does. Messages are Cognito's, e.g. "Password did not
    conform with policy: Password not long enough"; with `admin=True` the prefix is "Password
    did not conform with password policy: ", the wording seen in client reports of
    AdminCreateUser/AdminSetUserPassword errors. A policy field that is absent means "not
    required", except MinimumLength, which falls back to Cognito's default of 8.
    """
    prefix = ADMIN_PREFIX if admin else PUBLIC_PREFIX
    minimum = int(policy.get("MinimumLength", DEFAULT_PASSWORD_POLICY["MinimumLength"]))
    if len(password) < minimum:
        raise InvalidPasswordException(prefix + "Password not long enough")
    characters = frozenset(password)
    for field, members, name in _CLASSES:
        if policy.get(field, False) and characters.isdisjoint(members):
            raise InvalidPasswordException(f"{prefix}Password must have {name} characters")


def generate_temporary_password(policy: Mapping[str, Any]) -> str:
    """A random password that satisfies `policy` whatever it requires.

    At least max(MinimumLength, 12) characters, with at least one uppercase letter, one
    lowercase letter, one digit and one symbol, drawn from `secrets` and shuffled, so it
    passes `check_password` for every policy and is strong even under a lax one.
    """
    minimum = int(policy.get("MinimumLength", DEFAULT_PASSWORD_POLICY["MinimumLength"]))
    length = max(minimum, _MINIMUM_TEMPORARY_LENGTH)
    pools = (string.ascii_uppercase, string.ascii_lowercase, string.digits, _TEMPORARY_SYMBOLS)
    alphabet = "".join(pools)
    characters = [secrets.choice(pool) for pool in pools]
    characters += [secrets.choice(alphabet) for _ in range(length - len(characters))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)
