"""USER_AUTH's first factors with passkeys: WEB_AUTHN offered only to users who have one."""

from __future__ import annotations

from datetime import UTC, datetime

from cognate.auth import first_factors
from cognate.domain.pool import Pool, new_pool_config

NOW = datetime(2026, 1, 2, tzinfo=UTC)
ATTRIBUTES = {"email": "a@example.com"}


def pool_allowing(*factors: str) -> Pool:
    config = new_pool_config(
        {"PoolName": "p", "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": list(factors)}}}
    )
    return Pool(id="us-east-1_AbCdEfGhI", name="p", config=config, created_at=NOW, updated_at=NOW)


def test_web_authn_is_offered_last_and_only_with_a_passkey() -> None:
    pool = pool_allowing("PASSWORD", "EMAIL_OTP", "WEB_AUTHN")
    assert first_factors.available_factors(pool, ATTRIBUTES, "alice", has_passkey=True) == [
        "PASSWORD",
        "PASSWORD_SRP",
        "EMAIL_OTP",
        "WEB_AUTHN",
    ]
    assert "WEB_AUTHN" not in first_factors.available_factors(pool, ATTRIBUTES, "alice")
    # A decoy never has a passkey.
    assert "WEB_AUTHN" not in first_factors.available_factors(pool, None, "nobody")


def test_web_authn_needs_the_pool_to_allow_it() -> None:
    pool = pool_allowing("PASSWORD")
    assert "WEB_AUTHN" not in first_factors.available_factors(
        pool, ATTRIBUTES, "alice", has_passkey=True
    )
    assert first_factors.configured_factors(
        pool, ATTRIBUTES, has_password=True, has_passkey=True
    ) == ["PASSWORD"]


def test_configured_factors_list_a_passkey() -> None:
    pool = pool_allowing("PASSWORD", "WEB_AUTHN")
    assert first_factors.configured_factors(
        pool, ATTRIBUTES, has_password=False, has_passkey=True
    ) == ["WEB_AUTHN"]
