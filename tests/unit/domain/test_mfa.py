"""domain/mfa.py: which MFA challenge comes next, user preferences, pool configuration."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognate.domain import mfa
from cognate.domain.mfa import Factor, TokenState
from cognate.errors import (
    FeatureUnavailableInTierException,
    InvalidParameterException,
    InvalidUserPoolConfigurationException,
)

ALL: dict[str, Any] = {
    "SmsMfaConfiguration": {"SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::1:role/s"}},
    "SoftwareTokenMfaConfiguration": {"Enabled": True},
    "EmailMfaConfiguration": {"Message": "{####}"},
}
REACHABLE = {"phone_number": "+15550001111", "email": "a@example.com"}


def pool(mode: str, **factors: Any) -> dict[str, Any]:
    return {"MfaConfiguration": mode, **(factors or ALL)}


def enabled(*factors: Factor, preferred: Factor | None = None) -> dict[str, Any]:
    settings: dict[str, Any] = {"UserMFASettingList": [factor.value for factor in factors]}
    if preferred:
        settings["PreferredMfaSetting"] = preferred.value
    return settings


def test_off_never_asks() -> None:
    user = enabled(Factor.SOFTWARE_TOKEN_MFA)
    assert mfa.next_challenge(pool("OFF"), user, REACHABLE, ()) is None


def test_optional_asks_only_for_enabled_factors() -> None:
    assert mfa.next_challenge(pool("OPTIONAL"), {}, REACHABLE, ()) is None
    user = enabled(Factor.SOFTWARE_TOKEN_MFA)
    assert mfa.next_challenge(pool("OPTIONAL"), user, REACHABLE, ()) == "SOFTWARE_TOKEN_MFA"


def test_factor_the_pool_does_not_offer_or_cannot_reach_is_skipped() -> None:
    only_totp = pool("OPTIONAL", SoftwareTokenMfaConfiguration={"Enabled": True})
    assert mfa.next_challenge(only_totp, enabled(Factor.SMS_MFA), REACHABLE, ()) is None
    assert mfa.next_challenge(pool("OPTIONAL"), enabled(Factor.SMS_MFA), {}, ()) is None


def test_several_factors_preferred_or_selection() -> None:
    both = enabled(Factor.SMS_MFA, Factor.EMAIL_OTP)
    assert mfa.next_challenge(pool("OPTIONAL"), both, REACHABLE, ()) == "SELECT_MFA_TYPE"
    preferred = enabled(Factor.SMS_MFA, Factor.EMAIL_OTP, preferred=Factor.EMAIL_OTP)
    assert mfa.next_challenge(pool("OPTIONAL"), preferred, REACHABLE, ()) == "EMAIL_OTP"
    chosen = (mfa.selected(Factor.SMS_MFA),)
    assert mfa.next_challenge(pool("OPTIONAL"), both, REACHABLE, chosen) == "SMS_MFA"


def test_one_factor_passed_ends_mfa() -> None:
    user = enabled(Factor.SMS_MFA, Factor.EMAIL_OTP)
    for done in (
        ("SMS_MFA",),
        ("EMAIL_OTP",),
        (mfa.SETUP_DONE,),
        ("NEW_PASSWORD_REQUIRED", "SMS_MFA"),
    ):
        assert mfa.next_challenge(pool("ON"), user, REACHABLE, done) is None


def test_on_without_factor_uses_phone_then_setup() -> None:
    assert mfa.next_challenge(pool("ON"), {}, {"phone_number": "+1555"}, ()) == "SMS_MFA"
    totp_only = pool("ON", SoftwareTokenMfaConfiguration={"Enabled": True})
    assert mfa.next_challenge(totp_only, {}, REACHABLE, ()) == "MFA_SETUP"
    assert mfa.setup_options(mfa.pool_mfa(totp_only)) == ["SOFTWARE_TOKEN_MFA"]
    sms_only = pool("ON", SmsMfaConfiguration=ALL["SmsMfaConfiguration"])
    with pytest.raises(InvalidUserPoolConfigurationException):
        mfa.next_challenge(sms_only, {}, {}, ())


def test_email_is_set_up_when_the_user_has_no_address() -> None:
    """MFAS_CAN_SETUP lists TOTP then EMAIL_OTP; a user with an email needs no setup (the
    address stands in), one without is asked to set one up."""
    email_only = pool("ON", EmailMfaConfiguration=ALL["EmailMfaConfiguration"])
    assert mfa.next_challenge(email_only, {}, {}, ()) == "MFA_SETUP"
    assert mfa.next_challenge(email_only, {}, REACHABLE, ()) == "EMAIL_OTP"
    assert mfa.setup_options(mfa.pool_mfa(email_only)) == ["EMAIL_OTP"]
    assert mfa.setup_options(mfa.pool_mfa(pool("ON"))) == ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    assert mfa.can_set_up(mfa.pool_mfa(email_only), Factor.EMAIL_OTP)
    assert not mfa.can_set_up(mfa.pool_mfa(email_only), Factor.SOFTWARE_TOKEN_MFA)
    assert not mfa.can_set_up(mfa.pool_mfa(pool("ON")), Factor.SMS_MFA)
    assert mfa.with_set_up({}, Factor.EMAIL_OTP) == enabled(
        Factor.EMAIL_OTP, preferred=Factor.EMAIL_OTP
    )


def test_legacy_pool_sms_configuration_offers_sms() -> None:
    legacy = {"MfaConfiguration": "OPTIONAL", "SmsConfiguration": {"SnsCallerArn": "x"}}
    assert mfa.pool_mfa(legacy).sms
    assert not mfa.pool_mfa({**legacy, "SmsMfaConfiguration": {}}).sms


@given(
    mode=st.sampled_from(["OFF", "OPTIONAL", "ON"]),
    factors=st.sets(st.sampled_from(list(Factor))),
    preferred=st.none() | st.sampled_from(list(Factor)),
)
def test_never_asks_for_a_factor_the_user_cannot_use(
    mode: str, factors: set[Factor], preferred: Factor | None
) -> None:
    user = enabled(*factors, preferred=preferred)
    config = pool(mode)
    usable = mfa.usable_factors(mfa.pool_mfa(config), user, REACHABLE)
    challenge = mfa.next_challenge(config, user, REACHABLE, ())
    if challenge in set(Factor):
        assert Factor(challenge) in usable
    if challenge == "SELECT_MFA_TYPE":
        assert len(usable) > 1
        assert preferred not in usable
    if mode == "OFF":
        assert challenge is None


def test_preferences_enable_prefer_and_disable() -> None:
    settings = {Factor.SOFTWARE_TOKEN_MFA: {"Enabled": True, "PreferredMfa": True}}
    updated = mfa.updated_preferences({}, settings)
    assert updated == enabled(Factor.SOFTWARE_TOKEN_MFA, preferred=Factor.SOFTWARE_TOKEN_MFA)
    email_preferred = {Factor.EMAIL_OTP: {"Enabled": True, "PreferredMfa": True}}
    updated = mfa.updated_preferences(updated, email_preferred)
    assert updated["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]
    assert updated["PreferredMfaSetting"] == "EMAIL_OTP"
    updated = mfa.updated_preferences(updated, {Factor.EMAIL_OTP: {"Enabled": False}})
    assert updated == {"UserMFASettingList": ["SOFTWARE_TOKEN_MFA"]}
    with pytest.raises(InvalidParameterException):
        mfa.updated_preferences({}, {Factor.SMS_MFA: {"PreferredMfa": True}})


def test_legacy_settings_enable_and_clear_sms() -> None:
    options = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    updated = mfa.legacy_settings({}, options)
    assert updated == {"MFAOptions": options, "UserMFASettingList": ["SMS_MFA"]}
    assert mfa.legacy_settings(updated, []) == {}
    with pytest.raises(InvalidParameterException):
        mfa.legacy_settings({}, [{"DeliveryMedium": "EMAIL", "AttributeName": "email"}])


def test_with_software_token_keeps_other_preference() -> None:
    assert mfa.with_software_token({}) == enabled(
        Factor.SOFTWARE_TOKEN_MFA, preferred=Factor.SOFTWARE_TOKEN_MFA
    )
    sms = enabled(Factor.SMS_MFA, preferred=Factor.SMS_MFA)
    assert mfa.with_software_token(sms)["PreferredMfaSetting"] == "SMS_MFA"


def test_check_can_enable() -> None:
    rules = mfa.pool_mfa(pool("OPTIONAL"))
    with pytest.raises(InvalidParameterException, match="not verified"):
        mfa.check_can_enable(
            Factor.SOFTWARE_TOKEN_MFA, pool=rules, attributes={}, token=TokenState.PENDING
        )
    with pytest.raises(InvalidParameterException, match="delivery config"):
        mfa.check_can_enable(
            Factor.SOFTWARE_TOKEN_MFA, pool=rules, attributes={}, token=TokenState.NONE
        )
    with pytest.raises(InvalidParameterException, match="SMS_MFA"):
        mfa.check_can_enable(Factor.SMS_MFA, pool=rules, attributes={}, token=TokenState.NONE)
    no_email = mfa.pool_mfa(pool("OPTIONAL", SoftwareTokenMfaConfiguration={"Enabled": True}))
    with pytest.raises(InvalidParameterException, match="Email MFA"):
        mfa.check_can_enable(
            Factor.EMAIL_OTP, pool=no_email, attributes=REACHABLE, token=TokenState.NONE
        )
    mfa.check_can_enable(
        Factor.SOFTWARE_TOKEN_MFA, pool=rules, attributes={}, token=TokenState.VERIFIED
    )


def test_parse_answer() -> None:
    assert mfa.parse_answer("EMAIL_MFA", [Factor.EMAIL_OTP]) is Factor.EMAIL_OTP
    with pytest.raises(InvalidParameterException):
        mfa.parse_answer("SMS_MFA", [Factor.EMAIL_OTP])


def test_pool_configuration_round_trip() -> None:
    request = {"MfaConfiguration": "OPTIONAL", **ALL}
    config = mfa.updated_mfa_config({"MfaConfiguration": "OFF"}, request)
    assert config["SmsConfiguration"] == ALL["SmsMfaConfiguration"]["SmsConfiguration"]
    answer = mfa.mfa_configuration(config)
    assert answer == request
    assert json.loads(json.dumps(answer)) == answer
    assert mfa.mfa_configuration({})["SoftwareTokenMfaConfiguration"] == {"Enabled": False}


def test_pool_configuration_refusals() -> None:
    with pytest.raises(InvalidParameterException):
        mfa.updated_mfa_config({}, {"MfaConfiguration": "ON"})
    with pytest.raises(FeatureUnavailableInTierException):
        mfa.updated_mfa_config(
            {"UserPoolTier": "LITE"},
            {"MfaConfiguration": "OPTIONAL", "EmailMfaConfiguration": {"Message": "{####}"}},
        )
    kept = mfa.updated_mfa_config(pool("OPTIONAL"), {})
    assert kept["MfaConfiguration"] == "OPTIONAL"
