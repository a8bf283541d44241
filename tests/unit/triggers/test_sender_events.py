"""Custom sender configuration, trigger sources and request (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cognate.domain.pool import Pool
from cognate.triggers import events

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _pool(lambda_config: dict[str, Any]) -> Pool:
    return Pool(id="us-east-1_abc", name="p", config={"LambdaConfig": lambda_config},
                created_at=NOW, updated_at=NOW)  # fmt: skip


def test_sender_config() -> None:
    sender = {"LambdaVersion": "V1_0", "LambdaArn": "arn:mail"}
    pool = _pool({"CustomEmailSender": sender, "KMSKeyID": "arn:key"})
    assert events.sender_config(pool, events.EMAIL_SENDER) == events.SenderConfig(
        arn="arn:mail", kms_key_id="arn:key"
    )
    assert events.sender_config(pool, events.SMS_SENDER) is None
    assert events.sender_config(_pool({"CustomSMSSender": sender}), events.SMS_SENDER) == (
        events.SenderConfig(arn="arn:mail", kms_key_id=None)
    )
    assert events.sender_config(_pool({"CustomEmailSender": "arn:x"}), events.EMAIL_SENDER) is None


def test_sender_source_and_request() -> None:
    assert (
        events.sender_source(events.SMS_SENDER, "CustomMessage_ResendCode")
        == "CustomSMSSender_ResendCode"
    )
    message = events.MessageTrigger(
        source="CustomMessage_SignUp", username="u", attributes={"email": "a@b.c"}
    )
    assert events.custom_sender_request(events.EMAIL_SENDER, message, "c2VjcmV0") == {
        "type": "customEmailSenderRequestV1",
        "code": "c2VjcmV0",
        "userAttributes": {"email": "a@b.c"},
        "clientMetadata": {},
    }
