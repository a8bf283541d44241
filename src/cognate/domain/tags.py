"""Resource tags, the rules TagResource and UntagResource share on user pools and identity
pools: new values win over old ones, removal is by key, and at most 50 tags remain."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from cognate.errors import InvalidParameterException

MAX_TAGS: Final = 50
"""Cognito's limit on tags per user pool and per identity pool."""


def tagged(
    current: Mapping[str, str], added: Mapping[str, str], *, resource: str
) -> dict[str, str]:
    """`current` with `added` set; InvalidParameterException past MAX_TAGS (`resource` names
    the kind of pool in the message, "A user pool" or "An identity pool")."""
    tags = {**current, **added}
    if len(tags) > MAX_TAGS:
        raise InvalidParameterException(
            f"{resource} can have at most {MAX_TAGS} tags; this request would leave {len(tags)}."
        )
    return tags


def untagged(current: Mapping[str, str], keys: Iterable[str]) -> dict[str, str]:
    """`current` without the tags of `keys`."""
    removed = set(keys)
    return {key: value for key, value in current.items() if key not in removed}
