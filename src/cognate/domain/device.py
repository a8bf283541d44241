"""Remembered devices: what a device is, when a pool tracks them, and the DeviceType wire shape.

Developer guide, "Working with user devices in your user pool": with a DeviceConfiguration, a
sign-in that names no known device gets NewDeviceMetadata {DeviceKey "{region}_{uuid}",
DeviceGroupKey}; the client makes a device password, sends its SRP verifier with ConfirmDevice,
and a *remembered* device then proves itself with DEVICE_SRP_AUTH instead of MFA
(cognito-surface.md §2a "Devices", §9 "Remembered devices"). A device whose ConfirmDevice has
not arrived yet is pending: it is bound to its user but listed nowhere and proves nothing.
"""

from __future__ import annotations

import enum
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class RememberedStatus(enum.StrEnum):
    """DeviceRememberedStatusType: the wire strings."""

    REMEMBERED = "remembered"
    NOT_REMEMBERED = "not_remembered"


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """A device of one user. `salt` and `verifier` are the SecretBox ciphertexts (None while
    pending); `remembered_status` is None while pending."""

    key: str
    pool_id: str
    user_id: int
    group_key: str
    salt: bytes | None
    verifier: bytes | None
    name: str | None
    attributes: Mapping[str, str] = field(default_factory=dict)
    remembered_status: RememberedStatus | None
    created_at: datetime
    last_authenticated_at: datetime | None
    last_modified_at: datetime
    last_ip: str | None

    @property
    def is_confirmed(self) -> bool:
        """Whether ConfirmDevice stored the device's verifier."""
        return self.verifier is not None and self.remembered_status is not None

    @property
    def is_remembered(self) -> bool:
        """Whether the device may stand in for MFA (DEVICE_SRP_AUTH)."""
        return self.is_confirmed and self.remembered_status is RememberedStatus.REMEMBERED


def new_device_key(region: str) -> str:
    """A DeviceKey in Cognito's format (model pattern `[\\w-]+_[0-9a-f-]+`)."""
    return f"{region}_{uuid.uuid4()}"


def new_group_key() -> str:
    """A DeviceGroupKey: "-" and random letters, as Cognito's look; the device's SRP pool name."""
    return "-" + secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")


def is_tracking(pool_config: Mapping[str, Any]) -> bool:
    """Whether the pool issues and remembers devices: it has a DeviceConfiguration."""
    return isinstance(pool_config.get("DeviceConfiguration"), Mapping)


def is_remembered_on_prompt(pool_config: Mapping[str, Any]) -> bool:
    """DeviceOnlyRememberedOnUserPrompt: a confirmed device waits for UpdateDeviceStatus."""
    configuration = pool_config.get("DeviceConfiguration") or {}
    return bool(configuration.get("DeviceOnlyRememberedOnUserPrompt"))


def status_after_confirm(pool_config: Mapping[str, Any]) -> RememberedStatus:
    """The status ConfirmDevice gives: remembered unless the user must opt in first."""
    if is_remembered_on_prompt(pool_config):
        return RememberedStatus.NOT_REMEMBERED
    return RememberedStatus.REMEMBERED


def device_type(device: Device) -> dict[str, Any]:
    """The DeviceType of a device. The attribute names are those Cognito reports:
    device_status, device_name, dev:device_remembered_status, last_ip_used."""
    attributes = {"device_status": "valid", **device.attributes}
    if device.name is not None:
        attributes["device_name"] = device.name
    if device.remembered_status is not None:
        attributes["dev:device_remembered_status"] = device.remembered_status.value
    if device.last_ip:
        attributes["last_ip_used"] = device.last_ip
    shape: dict[str, Any] = {
        "DeviceKey": device.key,
        "DeviceAttributes": [{"Name": name, "Value": value} for name, value in attributes.items()],
        "DeviceCreateDate": device.created_at,
        "DeviceLastModifiedDate": device.last_modified_at,
    }
    if device.last_authenticated_at is not None:
        shape["DeviceLastAuthenticatedDate"] = device.last_authenticated_at
    return shape
