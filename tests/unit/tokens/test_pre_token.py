"""pre_token.override for machine tokens: only accessTokenGeneration applies."""

from __future__ import annotations

from cognate.tokens.pre_token import TokenClaims, override

RETURNED = {
    "response": {
        "claimsAndScopeOverrideDetails": {
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": "acme", "client_id": "forged"},
                "claimsToSuppress": ["sub"],
                "scopesToAdd": ["api/extra"],
                "scopesToSuppress": ["api/write"],
            },
            "groupOverrideDetails": {"groupsToOverride": ["admins"]},
        }
    }
}


def _claims() -> TokenClaims:
    access = {"sub": "c1", "client_id": "c1", "scope": "api/read api/write"}
    return TokenClaims(id_claims={}, access_claims=access, scopes=["api/read", "api/write"])


def test_machine_token_takes_claims_and_scopes_but_no_groups() -> None:
    changed = override(RETURNED, _claims(), version="3", is_machine=True)
    assert changed.access_claims == {
        "sub": "c1", "client_id": "c1", "scope": "api/read api/extra", "tenant": "acme",
    }  # fmt: skip
    assert changed.scopes == ["api/read", "api/extra"]


def test_user_tokens_still_take_group_overrides() -> None:
    changed = override(RETURNED, _claims(), version="3")
    assert changed.access_claims["cognito:groups"] == ["admins"]
