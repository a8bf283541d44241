"""Threat protection's pure rules: mode and tier, risk configurations, IP exception lists and
the compromised-credentials verdict."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognate.domain import threat_protection as rules
from cognate.domain.breached_passwords import is_compromised
from cognate.domain.threat_protection import IpVerdict, Mode, PasswordEvent
from cognate.errors import FeatureUnavailableInTierException, InvalidParameterException

BLOCK: dict[str, Any] = {
    "CompromisedCredentialsRiskConfiguration": {"Actions": {"EventAction": "BLOCK"}}
}


def test_mode_defaults_to_off() -> None:
    assert rules.mode({}) is Mode.OFF
    assert rules.mode({"UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"}}) is Mode.AUDIT


@pytest.mark.parametrize("tier", ["LITE", "ESSENTIALS", None])
def test_tier_below_plus_refuses_threat_protection(tier: str | None) -> None:
    config: dict[str, Any] = {"UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"}}
    if tier is not None:
        config["UserPoolTier"] = tier
    with pytest.raises(FeatureUnavailableInTierException):
        rules.check_tier(config)
    additional = {"AdvancedSecurityAdditionalFlows": {"CustomAuthMode": "AUDIT"}}
    with pytest.raises(FeatureUnavailableInTierException):
        rules.check_tier({"UserPoolTier": "ESSENTIALS", "UserPoolAddOns": additional})
    rules.check_tier({**config, "UserPoolTier": "PLUS"})
    rules.check_tier({"UserPoolTier": tier or "ESSENTIALS"})


def test_request_naming_only_the_pool_resets() -> None:
    assert rules.risk_configuration({"UserPoolId": "p", "ClientId": "c"}) is None
    assert rules.risk_configuration({"UserPoolId": "p", **BLOCK}) == BLOCK


def test_ip_verdicts() -> None:
    config = {
        "RiskExceptionConfiguration": {
            "BlockedIPRangeList": ["10.0.0.0/8"],
            "SkippedIPRangeList": ["192.168.1.7/32", "2001:db8::/32"],
        }
    }
    assert rules.ip_verdict(config, "10.1.2.3") is IpVerdict.BLOCKED
    assert rules.ip_verdict(config, "192.168.1.7") is IpVerdict.SKIPPED
    assert rules.ip_verdict(config, "2001:db8::1") is IpVerdict.SKIPPED
    assert rules.ip_verdict(config, "11.0.0.1") is IpVerdict.EVALUATED
    assert rules.ip_verdict(config, "") is IpVerdict.EVALUATED
    assert rules.ip_verdict(None, "10.1.2.3") is IpVerdict.EVALUATED


def test_screen_password_follows_mode_filter_and_action() -> None:
    sign_in = PasswordEvent.SIGN_IN
    assert rules.screen_password(Mode.ENFORCED, BLOCK, sign_in, "password123").is_blocked
    audit = rules.screen_password(Mode.AUDIT, BLOCK, sign_in, "password123")
    assert audit.is_compromised and not audit.is_blocked
    unconfigured = rules.screen_password(Mode.ENFORCED, None, sign_in, "password123")
    assert unconfigured.is_compromised and not unconfigured.is_blocked
    filtered = {
        "CompromisedCredentialsRiskConfiguration": {
            "EventFilter": ["SIGN_UP"],
            "Actions": {"EventAction": "BLOCK"},
        }
    }
    assert rules.screen_password(Mode.ENFORCED, filtered, sign_in, "password123") == rules.NO_RISK
    assert rules.screen_password(Mode.ENFORCED, BLOCK, sign_in, "k7-Vq2#Lm9!zR4") == rules.NO_RISK
    assert audit.risk == {"RiskDecision": "NoRisk", "CompromisedCredentialsDetected": True}


def test_match_rule_normalises() -> None:
    assert is_compromised("password")
    assert is_compromised("PASSWORD")
    # NFKC folds fullwidth letters to ASCII.
    assert is_compromised("\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44")
    assert not is_compromised("k7-Vq2#Lm9!zR4")


@given(st.sampled_from(["not-a-cidr/8", "10.0.0.1", "300.1.1.1/8", "10.0.0.0/33"]))
def test_invalid_cidrs_are_refused(cidr: str) -> None:
    with pytest.raises(InvalidParameterException):
        rules.risk_configuration({"RiskExceptionConfiguration": {"BlockedIPRangeList": [cidr]}})


@given(st.permutations(["NO_ACTION", "MFA_IF_CONFIGURED", "MFA_REQUIRED", "BLOCK"]))
def test_a_higher_level_never_gets_a_weaker_action(order: list[str]) -> None:
    actions = {
        level: {"Notify": False, "EventAction": action}
        for level, action in zip(("LowAction", "MediumAction", "HighAction"), order, strict=False)
    }
    strengths = ["NO_ACTION", "MFA_IF_CONFIGURED", "MFA_REQUIRED", "BLOCK"]
    ranks = [strengths.index(action) for action in order[:3]]
    request = {"AccountTakeoverRiskConfiguration": {"Actions": actions}}
    if ranks == sorted(ranks):
        assert rules.risk_configuration(request) == request
    else:
        with pytest.raises(InvalidParameterException, match="weaker"):
            rules.risk_configuration(request)
