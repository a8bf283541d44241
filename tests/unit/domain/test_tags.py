"""The tag rules both pool kinds share (domain/tags.py)."""

from __future__ import annotations

import pytest

from cognate.domain.tags import MAX_TAGS, tagged, untagged
from cognate.errors import InvalidParameterException


def test_new_values_win_and_removal_is_by_key() -> None:
    assert tagged({"a": "1", "b": "2"}, {"b": "3"}, resource="A user pool") == {"a": "1", "b": "3"}
    assert untagged({"a": "1", "b": "2"}, ["b", "missing"]) == {"a": "1"}


def test_at_most_fifty_tags_remain() -> None:
    full = {f"k{index}": "v" for index in range(MAX_TAGS)}
    assert tagged(full, {"k0": "w"}, resource="An identity pool")["k0"] == "w"
    with pytest.raises(InvalidParameterException) as caught:
        tagged(full, {"one-more": "v"}, resource="An identity pool")
    assert caught.value.message == (
        "An identity pool can have at most 50 tags; this request would leave 51."
    )
