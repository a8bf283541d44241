"""Pagination tokens: opaque to clients, bound to the listing and scope that issued them.

A token carries the last key returned; a token from another listing or pool is refused with
InvalidParameterException rather than silently listing something else.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cognate.errors import InvalidParameterException


def encode_token(listing: str, scope: str, last_key: Any) -> str:
    """A token resuming `listing` in `scope` after `last_key`."""
    raw = json.dumps([listing, scope, last_key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, listing: str, scope: str) -> Any:
    """The last key in a token from `encode_token(listing, scope, …)`; raises if it is not one."""
    try:
        padded = token + "=" * (-len(token) % 4)
        found = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error) as exc:
        raise InvalidParameterException("Invalid pagination token.") from exc
    if not isinstance(found, list) or len(found) != 3 or found[:2] != [listing, scope]:
        raise InvalidParameterException("Invalid pagination token.")
    return found[2]
