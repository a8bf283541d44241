"""Trigger events and the checks on returned events (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cognate.domain.pool import Pool
from cognate.errors import InvalidLambdaResponseException
from cognate.triggers import events
from cognate.triggers.functions import parse_function_arn

NOW = datetime(2026, 1, 1, tzinfo=UTC)
POOL = Pool(id="us-east-1_abc", name="p", config={"LambdaConfig": {"PreSignUp": "arn:x"}},
            created_at=NOW, updated_at=NOW)  # fmt: skip


def test_common_fields() -> None:
    made = events.event(pool=POOL, region="us-east-1", trigger_source="PreSignUp_SignUp",
                        username="u", client_id=None, request={"a": 1})  # fmt: skip
    assert made == {
        "version": "1", "triggerSource": "PreSignUp_SignUp", "region": "us-east-1",
        "userPoolId": "us-east-1_abc", "userName": "u",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown",
                          "clientId": "CLIENT_ID_NOT_APPLICABLE"},
        "request": {"a": 1}, "response": {},
    }  # fmt: skip
    assert events.lambda_arn(POOL, "PreSignUp") == "arn:x"
    assert events.lambda_arn(POOL, "CustomMessage") is None


def test_pre_sign_up_decision() -> None:
    decision = events.pre_sign_up_decision(
        {"response": {"autoConfirmUser": True, "autoVerifyPhone": True}}
    )
    assert decision.auto_confirm
    # A flag needs its attribute present.
    assert decision.verified_flags({"email": "a@b.c"}) == {}
    assert decision.verified_flags({"phone_number": "+1"}) == {"phone_number_verified": "true"}
    with pytest.raises(InvalidLambdaResponseException):
        events.pre_sign_up_decision({"response": {"autoConfirmUser": "yes"}})


def test_custom_texts_keep_placeholders() -> None:
    texts = events.custom_texts({"response": {"emailMessage": "code {####}"}}, needs_username=False)
    assert texts.email_message == "code {####}"
    assert texts.sms_message is None
    with pytest.raises(InvalidLambdaResponseException):
        events.custom_texts({"response": {"smsMessage": "no code"}}, needs_username=False)
    with pytest.raises(InvalidLambdaResponseException):
        events.custom_texts({"response": {"emailMessage": "{####}"}}, needs_username=True)


def test_function_arns() -> None:
    parsed = parse_function_arn("arn:aws:lambda:eu-west-1:123456789012:function:fn:prod")
    assert parsed is not None
    assert (parsed.name, parsed.qualifier, parsed.region) == ("fn", "prod", "eu-west-1")
    assert parse_function_arn("arn:aws:lambda:eu-west-1:123456789012:function:../x") is None
    assert parse_function_arn("arn:aws:s3:::bucket") is None
