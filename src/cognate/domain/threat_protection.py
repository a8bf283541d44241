"""Threat protection ("advanced security"): the pool's mode and tier rule, risk configurations
(SetRiskConfiguration), and the two documented mechanisms that need no scoring model: IP
exception lists and compromised credentials.

Sources: botocore's cognito-idp model (RiskConfigurationType and its members) and the developer
guide pages "Threat protection", "Compromised credentials" and "Adaptive authentication", as
summarised in wave2-surface.md §4. Pure: no I/O.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cognate.domain.breached_passwords import is_compromised
from cognate.errors import FeatureUnavailableInTierException, InvalidParameterException


class Mode(enum.StrEnum):
    """AdvancedSecurityModeType: OFF does nothing, AUDIT records, ENFORCED also acts."""

    OFF = "OFF"
    AUDIT = "AUDIT"
    ENFORCED = "ENFORCED"


class PasswordEvent(enum.StrEnum):
    """EventFilterType: where a plaintext password is screened for compromise."""

    SIGN_IN = "SIGN_IN"
    PASSWORD_CHANGE = "PASSWORD_CHANGE"  # noqa: S105 (an event name, not a secret)
    SIGN_UP = "SIGN_UP"


NOT_ENABLED: Final = "Advanced security features are not enabled for this user pool."
"""UserPoolAddOnNotEnabledException's message (the operations need AUDIT or ENFORCED)."""

BLOCKED: Final = "Unable to login because of security reasons."
"""NotAuthorizedException's message for a sign-in threat protection blocks [obs]."""

COMPROMISED: Final = "The password you entered has been compromised. Choose a different password."
"""InvalidPasswordException's message for a compromised new password [design: AWS's text
was not found]."""

_CONFIG_KEYS: Final = (
    "CompromisedCredentialsRiskConfiguration",
    "AccountTakeoverRiskConfiguration",
    "RiskExceptionConfiguration",
)
# The console refuses a higher risk level a weaker action than a lower one.
_STRENGTH: Final = {"NO_ACTION": 0, "MFA_IF_CONFIGURED": 1, "MFA_REQUIRED": 2, "BLOCK": 3}
_LEVELS: Final = ("LowAction", "MediumAction", "HighAction")


def mode(config: Mapping[str, Any]) -> Mode:
    """The pool's AdvancedSecurityMode (OFF when UserPoolAddOns is absent)."""
    add_ons = config.get("UserPoolAddOns") or {}
    return Mode(add_ons.get("AdvancedSecurityMode", "OFF"))


def check_tier(config: Mapping[str, Any]) -> None:
    """Threat protection needs the Plus tier: FeatureUnavailableInTierException otherwise."""
    add_ons = config.get("UserPoolAddOns") or {}
    is_used = mode(config) is not Mode.OFF or bool(add_ons.get("AdvancedSecurityAdditionalFlows"))
    if is_used and config.get("UserPoolTier", "ESSENTIALS") != "PLUS":
        raise FeatureUnavailableInTierException(
            "Threat protection features are only available in the PLUS tier of user pools."
        )


def risk_configuration(request: Mapping[str, Any]) -> dict[str, Any] | None:
    """The configuration SetRiskConfiguration stores, or None when the request names only the
    pool (and client): that resets the pool to defaults, or the client to inherit the pool's.

    Raises InvalidParameterException for an invalid CIDR, a notification without a
    NotifyConfiguration, or a risk level given a weaker action than a lower level.
    """
    config = {key: request[key] for key in _CONFIG_KEYS if request.get(key) is not None}
    if not config:
        return None
    exceptions = config.get("RiskExceptionConfiguration") or {}
    for key in ("BlockedIPRangeList", "SkippedIPRangeList"):
        for cidr in exceptions.get(key) or []:
            _network(cidr, key)
    takeover = config.get("AccountTakeoverRiskConfiguration")
    if takeover is not None:
        _check_takeover(takeover)
    return config


def _network(cidr: str, key: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if "/" not in cidr:
        raise InvalidParameterException(f"{key} must contain IP ranges in CIDR notation: {cidr}")
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError as exc:
        raise InvalidParameterException(f"Invalid CIDR in {key}: {cidr}") from exc


def _check_takeover(takeover: Mapping[str, Any]) -> None:
    actions = takeover.get("Actions") or {}
    strengths = [_STRENGTH[actions[level]["EventAction"]] for level in _LEVELS if level in actions]
    if strengths != sorted(strengths):
        raise InvalidParameterException(
            "A higher risk level cannot have a weaker action than a lower risk level."
        )
    notifies = any(action.get("Notify") for action in actions.values())
    if notifies and not takeover.get("NotifyConfiguration"):
        raise InvalidParameterException(
            "NotifyConfiguration is required when an action notifies the user."
        )


class IpVerdict(enum.Enum):
    """What RiskExceptionConfiguration says about a source address."""

    BLOCKED = "blocked"
    SKIPPED = "skipped"
    EVALUATED = "evaluated"


def ip_verdict(config: Mapping[str, Any] | None, ip: str) -> IpVerdict:
    """BLOCKED if `ip` is in BlockedIPRangeList (always blocked, no risk level), SKIPPED if in
    SkippedIPRangeList (no risk evaluation), else EVALUATED. An unparsable address is
    evaluated."""
    exceptions = (config or {}).get("RiskExceptionConfiguration") or {}
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return IpVerdict.EVALUATED
    for key, verdict in (
        ("BlockedIPRangeList", IpVerdict.BLOCKED),
        ("SkippedIPRangeList", IpVerdict.SKIPPED),
    ):
        if any(address in _network(cidr, key) for cidr in exceptions.get(key) or []):
            return verdict
    return IpVerdict.EVALUATED


@dataclass(frozen=True, slots=True, kw_only=True)
class PasswordScreen:
    """The compromised-credentials verdict on one plaintext password."""

    is_compromised: bool
    is_blocked: bool
    """Compromised, and the configuration's action is BLOCK with the pool ENFORCED."""

    @property
    def risk(self) -> dict[str, Any]:
        """The EventRiskType an event with this verdict records."""
        return {
            "RiskDecision": "Block" if self.is_blocked else "NoRisk",
            "CompromisedCredentialsDetected": self.is_compromised,
        }


NO_RISK: Final = PasswordScreen(is_compromised=False, is_blocked=False)


def screen_password(
    pool_mode: Mode, config: Mapping[str, Any] | None, event: PasswordEvent, password: str
) -> PasswordScreen:
    """The compromised-credentials verdict for `password` at `event`.

    Checked when the configuration's EventFilter names `event` (absent: all three events; no
    configuration at all: checked and recorded, never acted on). BLOCK acts only in ENFORCED.
    """
    compromised = (config or {}).get("CompromisedCredentialsRiskConfiguration")
    if compromised is not None:
        events: Sequence[str] = compromised.get("EventFilter") or list(PasswordEvent)
        if event not in events:
            return NO_RISK
    if not is_compromised(password):
        return NO_RISK
    is_block = compromised is not None and compromised["Actions"]["EventAction"] == "BLOCK"
    return PasswordScreen(is_compromised=True, is_blocked=is_block and pool_mode is Mode.ENFORCED)
