"""Responses shaped by the model: only declared members, timestamps as epoch seconds.

Handlers return plain dicts (the generated TypedDicts); this walks the output shape so that a
datetime becomes the epoch-seconds number botocore expects and undeclared keys never leak.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def serialize(shape: Any, value: Any) -> Any:
    """The JSON-ready form of `value` for botocore shape `shape` (None drops the member)."""
    if shape is None or value is None:
        return value
    type_name = shape.type_name
    if shape.metadata.get("document"):
        return value  # a Document member (free-form JSON, e.g. branding Settings): as is
    if type_name == "structure":
        members = shape.members
        return {
            key: serialize(members[key], item)
            for key, item in value.items()
            if key in members and item is not None
        }
    if type_name == "list":
        return [serialize(shape.member, item) for item in value]
    if type_name == "map":
        return {key: serialize(shape.value, item) for key, item in value.items()}
    if type_name == "timestamp":
        if isinstance(value, datetime):
            return round(value.timestamp(), 3)
        return value
    return value
