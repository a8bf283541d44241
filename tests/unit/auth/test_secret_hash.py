"""SECRET_HASH against an independent computation (pycognito's helper)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pycognito.aws_srp import AWSSRP

from cognate.auth.secret_hash import check_secret_hash, secret_hash
from cognate.errors import NotAuthorizedException

CLIENT_ID = "3n4b5urk1ft4fl3mg5e62d9ado"


@given(secret=st.text(min_size=1), username=st.text(min_size=1))
def test_matches_pycognito(secret: str, username: str) -> None:
    assert secret_hash(secret, username, CLIENT_ID) == AWSSRP.get_secret_hash(
        username, CLIENT_ID, secret
    )


def test_either_secret_of_a_rotating_client_is_accepted() -> None:
    old, new = "old-secret", "new-secret"
    for secret in (old, new):
        check_secret_hash(
            [old, new],
            client_id=CLIENT_ID,
            username="alice",
            given=secret_hash(secret, "alice", CLIENT_ID),
        )


@pytest.mark.parametrize("given_hash", [None, "", "bm9wZQ==", secret_hash("s", "bob", CLIENT_ID)])
def test_wrong_or_missing_hash_is_refused(given_hash: str | None) -> None:
    with pytest.raises(
        NotAuthorizedException, match=f"Unable to verify secret hash for client {CLIENT_ID}"
    ):
        check_secret_hash(["s"], client_id=CLIENT_ID, username="alice", given=given_hash)


def test_public_client_needs_no_hash() -> None:
    check_secret_hash([], client_id=CLIENT_ID, username="alice", given=None)
