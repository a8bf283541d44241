"""User pools: identifiers, the configuration a new pool gets, and what changes behaviour.

A pool's configuration is kept as the wire-shaped UserPoolType that DescribeUserPool echoes
(DESIGN §5); the accessors below are the only fields the engine reads.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cognate.domain.schema import build_schema
from cognate.domain.threat_protection import check_tier
from cognate.errors import InvalidParameterException

_ID_ALPHABET = string.ascii_letters + string.digits

DEFAULT_PASSWORD_POLICY: dict[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}

# Members of CreateUserPool that are stored as given (Describe echoes them back).
_ECHOED = (
    "LambdaConfig",
    "AutoVerifiedAttributes",
    "AliasAttributes",
    "UsernameAttributes",
    "SmsVerificationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "SmsAuthenticationMessage",
    "UserAttributeUpdateSettings",
    "DeviceConfiguration",
    "SmsConfiguration",
    "UserPoolTags",
    "AccountRecoverySetting",
    "UserPoolAddOns",
)


def new_pool_id(region: str) -> str:
    """A pool id in Cognito's format: `{region}_{9 letters and digits}`."""
    return region + "_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(9))


def pool_arn(region: str, account_id: str, pool_id: str) -> str:
    """The pool's ARN, as Cognito writes it."""
    return f"arn:aws:cognito-idp:{region}:{account_id}:userpool/{pool_id}"


def pool_id_from_arn(arn: str) -> str | None:
    """The pool id in a user-pool ARN, or None if `arn` names no user pool."""
    prefix, _, pool_id = arn.partition(":userpool/")
    if not pool_id or not prefix.startswith("arn:aws:cognito-idp:"):
        return None
    return pool_id


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool:
    """A user pool as stored: id, name, wire-shaped configuration and timestamps."""

    id: str
    name: str
    config: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def username_attributes(self) -> list[str]:
        """Attributes users sign in with instead of a username (email, phone_number)."""
        return list(self.config.get("UsernameAttributes") or [])

    @property
    def alias_attributes(self) -> list[str]:
        """Attributes usable as sign-in aliases besides the username."""
        return list(self.config.get("AliasAttributes") or [])

    @property
    def is_case_sensitive(self) -> bool:
        """Whether usernames (and aliases) are matched case-sensitively."""
        return bool(self.config.get("UsernameConfiguration", {}).get("CaseSensitive", False))

    @property
    def password_policy(self) -> Mapping[str, Any]:
        """The PasswordPolicyType in force."""
        policy: Mapping[str, Any] = self.config.get("Policies", {}).get("PasswordPolicy", {})
        return {**DEFAULT_PASSWORD_POLICY, **policy}

    @property
    def schema(self) -> list[dict[str, Any]]:
        """The SchemaAttributes list (standard and custom)."""
        return list(self.config.get("SchemaAttributes") or [])

    @property
    def auto_verified_attributes(self) -> list[str]:
        """Attributes Cognito sends a code to verify (email, phone_number)."""
        return list(self.config.get("AutoVerifiedAttributes") or [])

    @property
    def is_deletion_protected(self) -> bool:
        """True while DeletionProtection is ACTIVE."""
        return self.config.get("DeletionProtection") == "ACTIVE"


def new_pool_config(request: Mapping[str, Any]) -> dict[str, Any]:
    """The stored configuration of a pool created with `request` (CreateUserPool), with defaults.

    Raises InvalidParameterException for combinations Cognito refuses.
    """
    if request.get("AliasAttributes") and request.get("UsernameAttributes"):
        raise InvalidParameterException(
            "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool."
        )
    config: dict[str, Any] = {key: request[key] for key in _ECHOED if key in request}
    config.setdefault("LambdaConfig", {})
    config["Policies"] = _policies(request.get("Policies") or {})
    config["DeletionProtection"] = request.get("DeletionProtection", "INACTIVE")
    config["SchemaAttributes"] = build_schema(request.get("Schema") or [])
    config["MfaConfiguration"] = request.get("MfaConfiguration", "OFF")
    config["VerificationMessageTemplate"] = _verification_template(request)
    config["EmailConfiguration"] = request.get("EmailConfiguration") or {
        "EmailSendingAccount": "COGNITO_DEFAULT"
    }
    config["AdminCreateUserConfig"] = {
        "AllowAdminCreateUserOnly": False,
        "UnusedAccountValidityDays": 7,
        **(request.get("AdminCreateUserConfig") or {}),
    }
    config["UsernameConfiguration"] = request.get("UsernameConfiguration") or {
        "CaseSensitive": False
    }
    config.setdefault("UserPoolTags", {})
    config["UserPoolTier"] = request.get("UserPoolTier", "ESSENTIALS")
    check_tier(config)
    _check_references(config)
    return config


def updated_pool_config(current: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration after UpdateUserPool: as Cognito, omitted settings return to defaults.

    Schema, aliases, username attributes and username configuration cannot change and are kept,
    and so are the factor settings of SetUserPoolMfaConfig.
    """
    fixed = {
        key: current[key]
        for key in (
            "SchemaAttributes",
            "AliasAttributes",
            "UsernameAttributes",
            "UsernameConfiguration",
            # Set by SetUserPoolMfaConfig, which UpdateUserPool does not take.
            "SmsMfaConfiguration",
            "SoftwareTokenMfaConfiguration",
            "EmailMfaConfiguration",
            "WebAuthnConfiguration",
        )
        if key in current
    }
    merged = {key: value for key, value in request.items() if key not in ("UserPoolId", "PoolName")}
    # The tier changes only when asked for.
    merged.setdefault("UserPoolTier", current.get("UserPoolTier", "ESSENTIALS"))
    config = new_pool_config({**merged, "UsernameConfiguration": fixed["UsernameConfiguration"]})
    config.update(fixed)
    if "UserPoolTags" not in request:
        config["UserPoolTags"] = current.get("UserPoolTags", {})
    _check_references(config)
    return config


def _policies(requested: Mapping[str, Any]) -> dict[str, Any]:
    password = {**DEFAULT_PASSWORD_POLICY, **(requested.get("PasswordPolicy") or {})}
    sign_in = requested.get("SignInPolicy") or {"AllowedFirstAuthFactors": ["PASSWORD"]}
    if "PASSWORD" not in sign_in.get("AllowedFirstAuthFactors", []):
        raise InvalidParameterException("AllowedFirstAuthFactors must include PASSWORD.")
    return {"PasswordPolicy": password, "SignInPolicy": sign_in}


def _verification_template(request: Mapping[str, Any]) -> dict[str, Any]:
    template = dict(request.get("VerificationMessageTemplate") or {})
    template.setdefault("DefaultEmailOption", "CONFIRM_WITH_CODE")
    for top, member in (
        ("SmsVerificationMessage", "SmsMessage"),
        ("EmailVerificationMessage", "EmailMessage"),
        ("EmailVerificationSubject", "EmailSubject"),
    ):
        if top in request and member not in template:
            template[member] = request[top]
    for member in ("SmsMessage", "EmailMessage"):
        message = template.get(member)
        if message is not None and "{####}" not in message:
            raise InvalidParameterException(f"{member} must contain the code placeholder {{####}}.")
    return template


def _check_references(config: Mapping[str, Any]) -> None:
    names = {attribute["Name"] for attribute in config["SchemaAttributes"]}
    for key in ("AutoVerifiedAttributes", "AliasAttributes", "UsernameAttributes"):
        for name in config.get(key) or []:
            if name not in names and key != "AliasAttributes":
                raise InvalidParameterException(f"{key} refers to an unknown attribute {name}.")
    settings = config.get("UserAttributeUpdateSettings") or {}
    for name in settings.get("AttributesRequireVerificationBeforeUpdate") or []:
        if name not in (config.get("AutoVerifiedAttributes") or []):
            raise InvalidParameterException(
                "The attributes in AttributesRequireVerificationBeforeUpdate must also be "
                "AutoVerifiedAttributes."
            )
