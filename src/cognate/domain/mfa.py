"""Multi-factor authentication rules: a pool's MFA configuration, a user's MFA settings, and
which MFA challenge a sign-in must pass next.

Sources: developer guide, "Adding MFA to a user pool" (OFF / OPTIONAL / ON; SMS, TOTP and
email factors; the preferred factor; SELECT_MFA_TYPE when several are enabled and none is
preferred; MFA_SETUP when MFA is required and nothing is set up), the SetUserPoolMfaConfig,
SetUserMFAPreference and SetUserSettings API references, and cognito-surface.md §2b.

A user's settings are kept wire-shaped in `users.mfa` (DESIGN §5), exactly what GetUser and
AdminGetUser echo: `UserMFASettingList` (enabled factors), `PreferredMfaSetting` and the legacy
`MFAOptions`. The pool's MFA configuration lives in its UserPoolType JSON: `MfaConfiguration`
(which DescribeUserPool echoes) plus the SetUserPoolMfaConfig members. Pure and sync.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cognate.errors import (
    FeatureUnavailableInTierException,
    InvalidParameterException,
    InvalidUserPoolConfigurationException,
)


class Factor(enum.StrEnum):
    """An MFA factor, named by the challenge that asks for it (and by UserMFASettingList)."""

    SMS_MFA = "SMS_MFA"
    SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"  # noqa: S105 (a factor name, not a secret)
    EMAIL_OTP = "EMAIL_OTP"


ORDER: Final = (Factor.SMS_MFA, Factor.SOFTWARE_TOKEN_MFA, Factor.EMAIL_OTP)
"""The order factors are listed in (UserMFASettingList, MFAS_CAN_CHOOSE)."""

SELECT_MFA_TYPE: Final = "SELECT_MFA_TYPE"
MFA_SETUP: Final = "MFA_SETUP"

SETUP_DONE: Final = "MFA_SETUP"
"""The `completed` entry of a sign-in whose user set up a factor during MFA_SETUP."""

_SELECTED: Final = "SELECT_MFA_TYPE:"
_ANSWERS: Final = {
    "SMS_MFA": Factor.SMS_MFA,
    "SOFTWARE_TOKEN_MFA": Factor.SOFTWARE_TOKEN_MFA,
    "EMAIL_OTP": Factor.EMAIL_OTP,
    # The API reference spells the email answer EMAIL_MFA; the challenge that follows is EMAIL_OTP.
    "EMAIL_MFA": Factor.EMAIL_OTP,
}
_MODES: Final = ("OFF", "OPTIONAL", "ON")


class TokenState(enum.Enum):
    """Where a user's software token stands: none, associated but unverified, or verified."""

    NONE = "none"
    PENDING = "pending"
    VERIFIED = "verified"


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolMfa:
    """The MFA rules of a pool: the mode and which factors it offers."""

    mode: str
    sms: bool
    software_token: bool
    email: bool

    def offers(self, factor: Factor) -> bool:
        """Whether users of the pool may use `factor`."""
        return {
            Factor.SMS_MFA: self.sms,
            Factor.SOFTWARE_TOKEN_MFA: self.software_token,
            Factor.EMAIL_OTP: self.email,
        }[factor]


def pool_mfa(config: Mapping[str, Any]) -> PoolMfa:
    """The MFA rules of a pool with UserPoolType `config`.

    SMS is offered once SetUserPoolMfaConfig gave an SmsMfaConfiguration or, for a pool never
    configured that way, when the pool has an SmsConfiguration (CreateUserPool's legacy way).
    """
    sms_config = config.get("SmsMfaConfiguration")
    has_sms = bool(sms_config) if sms_config is not None else bool(config.get("SmsConfiguration"))
    return PoolMfa(
        mode=str(config.get("MfaConfiguration") or "OFF"),
        sms=has_sms,
        software_token=bool((config.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled")),
        email=bool(config.get("EmailMfaConfiguration")),
    )


def enabled_factors(mfa: Mapping[str, Any]) -> frozenset[Factor]:
    """The factors the user enabled: UserMFASettingList, plus SMS from legacy MFAOptions."""
    enabled = {Factor(name) for name in mfa.get("UserMFASettingList") or [] if name in _ANSWERS}
    if any(option.get("DeliveryMedium") == "SMS" for option in mfa.get("MFAOptions") or []):
        enabled.add(Factor.SMS_MFA)
    return frozenset(enabled)


def is_reachable(factor: Factor, attributes: Mapping[str, str]) -> bool:
    """Whether a code for `factor` has somewhere to go (TOTP needs no address)."""
    if factor is Factor.SMS_MFA:
        return bool(attributes.get("phone_number"))
    if factor is Factor.EMAIL_OTP:
        return bool(attributes.get("email"))
    return True


def usable_factors(
    pool: PoolMfa, mfa: Mapping[str, Any], attributes: Mapping[str, str]
) -> list[Factor]:
    """The factors a sign-in may ask for, in ORDER: enabled by the user, offered by the pool,
    and reachable. When MFA is ON and none is, the pool's SMS and email factors the user has an
    address for stand in (Cognito sends required MFA to the phone number on file)."""
    enabled = enabled_factors(mfa)
    usable = [
        factor
        for factor in ORDER
        if factor in enabled and pool.offers(factor) and is_reachable(factor, attributes)
    ]
    if usable or pool.mode != "ON":
        return usable
    return [
        factor
        for factor in (Factor.SMS_MFA, Factor.EMAIL_OTP)
        if pool.offers(factor) and is_reachable(factor, attributes)
    ]


def setup_options(pool: PoolMfa) -> list[str]:
    """MFA_SETUP's MFAS_CAN_SETUP: the factors a user can set up during sign-in, in ORDER.

    TOTP (AssociateSoftwareToken and VerifySoftwareToken with the Session) and, in a pool
    offering email MFA, EMAIL_OTP: the user answers MFA_SETUP with the address as EMAIL and
    proves it with the code of the EMAIL_OTP challenge that follows (what Amplify's
    CONTINUE_SIGN_IN_WITH_EMAIL_SETUP step sends). SMS cannot be set up this way: Cognito
    has no MFA_SETUP answer that carries a phone number.
    """
    setups = ((Factor.SOFTWARE_TOKEN_MFA, pool.software_token), (Factor.EMAIL_OTP, pool.email))
    return [factor.value for factor, is_offered in setups if is_offered]


def can_set_up(pool: PoolMfa, factor: Factor) -> bool:
    """Whether MFA_SETUP may be answered by setting up `factor` in `pool`."""
    return factor.value in setup_options(pool)


def next_challenge(
    config: Mapping[str, Any],
    mfa: Mapping[str, Any],
    attributes: Mapping[str, str],
    completed: Sequence[str],
) -> str | None:
    """The MFA challenge a sign-in with steps `completed` still needs, or None.

    OFF: none. After one factor (or MFA_SETUP) is passed: none. A factor chosen in
    SELECT_MFA_TYPE: that factor. Otherwise the usable factors decide: one, or the preferred
    among several, is asked for; several and none preferred is SELECT_MFA_TYPE. With none
    usable, OPTIONAL needs nothing and ON needs MFA_SETUP (InvalidUserPoolConfiguration if
    the pool offers nothing a user could set up).
    """
    pool = pool_mfa(config)
    if pool.mode == "OFF":
        return None
    if any(step in _ANSWERS or step == SETUP_DONE for step in completed):
        return None
    for step in completed:
        if step.startswith(_SELECTED):
            return step.removeprefix(_SELECTED)
    usable = usable_factors(pool, mfa, attributes)
    if len(usable) == 1:
        return usable[0].value
    if usable:
        preferred = mfa.get("PreferredMfaSetting")
        return preferred if preferred in usable else SELECT_MFA_TYPE
    if pool.mode != "ON":
        return None
    if not setup_options(pool):
        raise _unusable()
    return MFA_SETUP


def _unusable() -> InvalidUserPoolConfigurationException:
    # MFA is required but neither the user nor the pool has a factor to use or set up.
    return InvalidUserPoolConfigurationException(
        "MFA is required, but the user pool has no MFA method this user can use."
    )


def selected(factor: Factor) -> str:
    """The `completed` entry recording that SELECT_MFA_TYPE chose `factor`."""
    return _SELECTED + factor.value


def parse_answer(answer: str, choices: Iterable[Factor]) -> Factor:
    """SELECT_MFA_TYPE's ANSWER as a factor; it must be one of `choices`."""
    factor = _ANSWERS.get(answer)
    if factor is None or factor not in set(choices):
        raise InvalidParameterException(f"Invalid value for ANSWER: {answer}")
    return factor


def updated_preferences(
    mfa: Mapping[str, Any], settings: Mapping[Factor, Mapping[str, Any]]
) -> dict[str, Any]:
    """The user's MFA JSON after SetUserMFAPreference with `settings` per factor.

    Factors not given keep their state. A factor set Preferred must be Enabled and takes the
    preference from any other; a disabled factor loses it. Empty members are dropped, as
    GetUser omits them.
    """
    enabled = set(enabled_factors(mfa))
    preferred = mfa.get("PreferredMfaSetting")
    for factor, setting in settings.items():
        is_enabled = bool(setting.get("Enabled"))
        if setting.get("PreferredMfa") and not is_enabled:
            raise InvalidParameterException("A preferred MFA method must also be enabled.")
        if is_enabled:
            enabled.add(factor)
        else:
            enabled.discard(factor)
        if setting.get("PreferredMfa"):
            preferred = factor.value
        elif preferred == factor.value:
            preferred = None
    updated = {key: value for key, value in mfa.items() if key not in _USER_KEYS}
    if Factor.SMS_MFA not in enabled:
        updated.pop("MFAOptions", None)
    elif mfa.get("MFAOptions"):
        updated["MFAOptions"] = mfa["MFAOptions"]
    return _with_factors(updated, enabled, preferred)


_USER_KEYS: Final = ("UserMFASettingList", "PreferredMfaSetting", "MFAOptions")


def _with_factors(
    mfa: dict[str, Any], enabled: Iterable[Factor], preferred: str | None
) -> dict[str, Any]:
    chosen = set(enabled)
    listed = [factor.value for factor in ORDER if factor in chosen]
    if listed:
        mfa["UserMFASettingList"] = listed
    if preferred and preferred in listed:
        mfa["PreferredMfaSetting"] = preferred
    return mfa


def check_can_enable(
    factor: Factor, *, pool: PoolMfa, attributes: Mapping[str, str], token: TokenState
) -> None:
    """Refuse enabling `factor` for a user who cannot receive it (Cognito's texts)."""
    if factor is Factor.SOFTWARE_TOKEN_MFA and token is TokenState.PENDING:
        raise InvalidParameterException("User has not verified software token mfa")
    if factor is Factor.SOFTWARE_TOKEN_MFA and token is TokenState.NONE:
        raise InvalidParameterException(
            "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA"
        )
    if factor is Factor.EMAIL_OTP and not pool.email:
        raise InvalidParameterException("Email MFA is not enabled for this user pool.")
    if not is_reachable(factor, attributes):
        raise InvalidParameterException(
            f"User does not have delivery config set to turn on {factor.value}"
        )


def legacy_settings(mfa: Mapping[str, Any], options: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The user's MFA JSON after SetUserSettings / AdminSetUserSettings with MFAOptions.

    The legacy API configures SMS only: an SMS option enables SMS MFA, an empty list turns it
    off. EMAIL options are refused, as Cognito refuses them.
    """
    for option in options:
        if option.get("DeliveryMedium") != "SMS" or option.get("AttributeName") != "phone_number":
            raise InvalidParameterException(
                "Only phone_number with DeliveryMedium SMS is supported in MFAOptions."
            )
    enabled = set(enabled_factors({"UserMFASettingList": mfa.get("UserMFASettingList")}))
    updated = {key: value for key, value in mfa.items() if key not in _USER_KEYS}
    if options:
        enabled.add(Factor.SMS_MFA)
        updated["MFAOptions"] = [dict(option) for option in options]
    else:
        enabled.discard(Factor.SMS_MFA)
    return _with_factors(updated, enabled, mfa.get("PreferredMfaSetting"))


def with_software_token(mfa: Mapping[str, Any]) -> dict[str, Any]:
    """The user's MFA JSON once MFA_SETUP verified a software token: TOTP enabled, and
    preferred unless another factor already is."""
    return with_set_up(mfa, Factor.SOFTWARE_TOKEN_MFA)


def with_set_up(mfa: Mapping[str, Any], factor: Factor) -> dict[str, Any]:
    """The user's MFA JSON once MFA_SETUP set up `factor`: enabled, and preferred unless
    another factor already is."""
    enabled = set(enabled_factors(mfa)) | {factor}
    preferred = mfa.get("PreferredMfaSetting") or factor.value
    updated = {key: value for key, value in mfa.items() if key not in _USER_KEYS}
    if mfa.get("MFAOptions"):
        updated["MFAOptions"] = mfa["MFAOptions"]
    return _with_factors(updated, enabled, preferred)


_POOL_KEYS: Final = (
    "SmsMfaConfiguration",
    "SoftwareTokenMfaConfiguration",
    "EmailMfaConfiguration",
    "WebAuthnConfiguration",
)


def mfa_configuration(config: Mapping[str, Any]) -> dict[str, Any]:
    """GetUserPoolMfaConfig's answer for a pool with UserPoolType `config`."""
    pool = pool_mfa(config)
    answer: dict[str, Any] = {"MfaConfiguration": pool.mode}
    for key in _POOL_KEYS:
        if config.get(key):
            answer[key] = config[key]
    if "SmsMfaConfiguration" not in config and pool.sms:
        sms: dict[str, Any] = {"SmsConfiguration": config["SmsConfiguration"]}
        if config.get("SmsAuthenticationMessage"):
            sms["SmsAuthenticationMessage"] = config["SmsAuthenticationMessage"]
        answer["SmsMfaConfiguration"] = sms
    answer.setdefault("SoftwareTokenMfaConfiguration", {"Enabled": False})
    return answer


def updated_mfa_config(config: Mapping[str, Any], request: Mapping[str, Any]) -> dict[str, Any]:
    """The pool's UserPoolType after SetUserPoolMfaConfig `request`.

    Each factor member given replaces that factor's configuration; one omitted keeps it, and
    MfaConfiguration omitted keeps the mode. DescribeUserPool's MfaConfiguration,
    SmsAuthenticationMessage and SmsConfiguration follow. ON and OPTIONAL need a factor;
    email MFA needs the Essentials tier or above.
    """
    updated = dict(config)
    for key in _POOL_KEYS:
        if key in request:
            updated[key] = dict(request[key] or {})
    sms = request.get("SmsMfaConfiguration") or {}
    if sms.get("SmsConfiguration"):
        updated["SmsConfiguration"] = sms["SmsConfiguration"]
    if sms.get("SmsAuthenticationMessage"):
        updated["SmsAuthenticationMessage"] = sms["SmsAuthenticationMessage"]
    mode = request.get("MfaConfiguration") or config.get("MfaConfiguration") or "OFF"
    if mode not in _MODES:
        raise InvalidParameterException(f"Invalid MfaConfiguration: {mode}")
    updated["MfaConfiguration"] = mode
    pool = pool_mfa(updated)
    if pool.email and config.get("UserPoolTier") == "LITE":
        raise FeatureUnavailableInTierException(
            "Email MFA is not available in the LITE tier of user pools."
        )
    if mode != "OFF" and not (pool.sms or pool.software_token or pool.email):
        raise InvalidParameterException(
            "Invalid MFA configuration given, can't turn on MFA without any enabled MFA factor."
        )
    return updated
