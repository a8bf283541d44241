"""Device rules: key formats, when a pool tracks devices, the status ConfirmDevice gives, and
the DeviceType shape."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from cognate.domain import device as rules
from cognate.domain.device import Device, RememberedStatus

NOW = datetime(2026, 3, 3, 9, 5, 7, tzinfo=UTC)


def make_device(**overrides: Any) -> Device:
    fields: dict[str, Any] = {
        "key": "us-east-1_0f0f", "pool_id": "us-east-1_P", "user_id": 1, "group_key": "-g",
        "salt": b"s", "verifier": b"v", "name": "laptop", "remembered_status": None,
        "created_at": NOW, "last_authenticated_at": None, "last_modified_at": NOW,
        "last_ip": None,
    }  # fmt: skip
    fields.update(overrides)
    return Device(**fields)


def test_keys_have_cognito_shapes():
    key = rules.new_device_key("eu-west-1")
    assert re.fullmatch(r"[\w-]+_[0-9a-f-]+", key) and key.startswith("eu-west-1_")
    group = rules.new_group_key()
    assert group.startswith("-") and re.fullmatch(r"-[A-Za-z0-9]+", group)
    assert rules.new_group_key() != group


def test_tracking_and_status_follow_the_device_configuration():
    assert not rules.is_tracking({})
    prompt = {"DeviceConfiguration": {"DeviceOnlyRememberedOnUserPrompt": True}}
    always = {"DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True}}
    assert rules.is_tracking(prompt) and rules.is_tracking(always)
    assert rules.status_after_confirm(prompt) is RememberedStatus.NOT_REMEMBERED
    assert rules.status_after_confirm(always) is RememberedStatus.REMEMBERED
    assert rules.is_remembered_on_prompt(prompt) and not rules.is_remembered_on_prompt({})


def test_pending_and_remembered_devices():
    pending = make_device(verifier=None)
    assert not pending.is_confirmed and not pending.is_remembered
    kept = make_device(remembered_status=RememberedStatus.REMEMBERED)
    assert kept.is_confirmed and kept.is_remembered
    assert not make_device(remembered_status=RememberedStatus.NOT_REMEMBERED).is_remembered


def test_device_type_attributes():
    shape = rules.device_type(
        make_device(remembered_status=RememberedStatus.REMEMBERED, last_ip="10.0.0.1",
                    last_authenticated_at=NOW)
    )  # fmt: skip
    attributes = {item["Name"]: item["Value"] for item in shape["DeviceAttributes"]}
    assert attributes == {
        "device_status": "valid", "device_name": "laptop",
        "dev:device_remembered_status": "remembered", "last_ip_used": "10.0.0.1",
    }  # fmt: skip
    assert shape["DeviceLastAuthenticatedDate"] == NOW
    bare = rules.device_type(make_device(name=None))
    assert [item["Name"] for item in bare["DeviceAttributes"]] == ["device_status"]
    assert "DeviceLastAuthenticatedDate" not in bare
