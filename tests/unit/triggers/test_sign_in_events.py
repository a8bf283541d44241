"""Reading what UserMigration and the custom-auth functions return."""

from __future__ import annotations

from typing import Any

import pytest

from cognate.errors import InvalidLambdaResponseException
from cognate.triggers import events


def _returned(response: Any) -> dict[str, Any]:
    return {"version": "1", "request": {}, "response": response}


def test_migration_reads_the_response() -> None:
    found = events.migration(
        _returned({
            "userAttributes": {"email": "a@example.com", "email_verified": "true"},
            "finalUserStatus": "RESET_REQUIRED", "messageAction": "SUPPRESS",
            "desiredDeliveryMediums": ["EMAIL"], "forceAliasCreation": True,
            "enableSMSMFA": True,
        })
    )  # fmt: skip
    assert found == events.Migration(
        attributes={"email": "a@example.com", "email_verified": "true"},
        final_status="RESET_REQUIRED", message_action="SUPPRESS",
        delivery_mediums=("EMAIL",), force_alias_creation=True, enable_sms_mfa=True,
    )  # fmt: skip
    assert not found.sends_welcome


def test_migration_welcome_defaults() -> None:
    found = events.migration(_returned({"userAttributes": {"email": "a@example.com"}}))
    assert found is not None
    assert found.sends_welcome
    assert found.welcome_mediums == ("SMS",)
    assert not found.enable_sms_mfa


def test_migration_without_attributes_is_no_migration() -> None:
    assert events.migration(_returned({})) is None
    assert events.migration(_returned(None)) is None


@pytest.mark.parametrize(
    "response",
    [
        {"userAttributes": {"email": "a@example.com"}, "finalUserStatus": "UNCONFIRMED"},
        {"userAttributes": {"email": "a@example.com"}, "messageAction": "SHOUT"},
        {"userAttributes": ["email"]},
        {"userAttributes": {"email": "a@example.com"}, "forceAliasCreation": "yes"},
        {"userAttributes": {"email": "a@example.com"}, "enableSMSMFA": "true"},
        {"userAttributes": {"email": "a@example.com"}, "desiredDeliveryMediums": ["PIGEON"]},
    ],
)
def test_migration_rejects_malformed_responses(response: dict[str, Any]) -> None:
    with pytest.raises(InvalidLambdaResponseException):
        events.migration(_returned(response))


def test_challenge_decision() -> None:
    decision = events.challenge_decision(
        _returned({"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False})
    )
    assert decision == events.ChallengeDecision(challenge_name="CUSTOM_CHALLENGE")
    assert events.challenge_decision(_returned({"issueTokens": True})).issue_tokens
    with pytest.raises(InvalidLambdaResponseException):
        events.challenge_decision(_returned({}))
    with pytest.raises(InvalidLambdaResponseException):
        events.challenge_decision(_returned({"issueTokens": "true"}))


def test_created_challenge_and_answer() -> None:
    created = events.created_challenge(
        _returned({
            "publicChallengeParameters": {"hint": "email", "digits": 6},
            "privateChallengeParameters": {"answer": "123456"},
            "challengeMetadata": "CODE-1",
        })
    )  # fmt: skip
    assert created.public == {"hint": "email", "digits": "6"}
    assert created.private == {"answer": "123456"}
    assert created.metadata == "CODE-1"
    assert events.answer_correct(_returned({"answerCorrect": True})) is True
    assert events.answer_correct(_returned({})) is False
    with pytest.raises(InvalidLambdaResponseException):
        events.answer_correct(_returned({"answerCorrect": "yes"}))
