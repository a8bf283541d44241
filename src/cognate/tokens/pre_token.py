"""PreTokenGeneration: the pool's function may add, override and suppress claims and scopes.

Developer guide, "Pre token generation Lambda trigger": with `PreTokenGeneration` (or
`PreTokenGenerationConfig` LambdaVersion V1_0) the event is version "1" and the answer's
`claimsOverrideDetails {claimsToAddOrOverride, claimsToSuppress, groupOverrideDetails}`
changes the ID token only; with V2_0/V3_0 the event is version "2"/"3", carries `scopes`, and
`claimsAndScopeOverrideDetails` has `idTokenGeneration`, `accessTokenGeneration` (also
`scopesToAdd`, `scopesToSuppress`) and `groupOverrideDetails`. Reserved claims (cognito-
surface.md §7) are never changed, whatever the function answers; anything but the documented
shapes is InvalidLambdaResponseException. The invocation itself goes through `ctx.triggers`
(runs outside any transaction: `issue.py` calls this after committing).

Machine-to-machine tokens (client_credentials) run the function only for V3_0 ("access token
customization for machine-to-machine (M2M) client-credentials grants"; V1_0/V2_0 pools are not
called), with triggerSource TokenGeneration_ClientCredentials. There is no user: the event's
userName is the client id (the token's `sub`), userAttributes is empty, groupConfiguration
names no groups, `scopes` are the granted scopes and clientMetadata is the token request's
`aws_client_metadata`. Only `accessTokenGeneration` applies (claims and scopes): there is no
ID token, and no groups to override.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cognate.context import Context
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import InvalidLambdaResponseException
from cognate.tokens.claims import GroupClaim, ordered_groups, preferred_role

TRIGGER = "PreTokenGeneration"
CLIENT_CREDENTIALS = "TokenGeneration_ClientCredentials"
UNRECOGNIZABLE_OUTPUT = "Unrecognizable lambda output"
_ID_RESERVED = frozenset(
    {"acr", "amr", "aud", "at_hash", "auth_time", "azp", "cognito:username", "exp", "iat",
     "identities", "iss", "jti", "nbf", "nonce", "origin_jti", "sub", "token_use", "event_id"}
)  # fmt: skip
_ACCESS_RESERVED = _ID_RESERVED | {"client_id", "scope", "username", "device_key", "version"}


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenClaims:
    """The payloads about to be signed, and the access token's scopes."""

    id_claims: dict[str, Any]
    access_claims: dict[str, Any]
    scopes: list[str]


def configured(pool: Pool) -> tuple[str, str] | None:
    """(function ARN, event version "1"|"2"|"3") of the pool's pre-token trigger, or None."""
    config: Mapping[str, Any] = pool.config.get("LambdaConfig") or {}
    versioned = config.get("PreTokenGenerationConfig") or {}
    if versioned.get("LambdaArn"):
        version = str(versioned.get("LambdaVersion") or "V1_0")[1]
        return str(versioned["LambdaArn"]), version
    arn = config.get("PreTokenGeneration")
    return (str(arn), "1") if arn else None


async def apply(
    ctx: Context,
    *,
    pool: Pool,
    user: User,
    client_id: str,
    groups: Sequence[GroupClaim],
    claims: TokenClaims,
    trigger_source: str,
) -> TokenClaims:
    """`claims` as the pool's function changed them (unchanged without a function)."""
    found = configured(pool)
    if found is None:
        return claims
    arn, version = found
    ordered = ordered_groups(groups)
    request: dict[str, Any] = {
        "userAttributes": {**user.attributes, "cognito:user_status": str(user.status)},
        "groupConfiguration": {
            "groupsToOverride": [group.name for group in ordered],
            "iamRolesToOverride": [group.role_arn for group in ordered if group.role_arn],
            "preferredRole": preferred_role(groups),
        },
    }
    if version != "1":
        request["scopes"] = list(claims.scopes)
    event = _event(ctx, pool, version, trigger_source, user_name=user.username,
                   client_id=client_id, request=request)  # fmt: skip
    returned = await ctx.triggers.invoke(TRIGGER, arn, event)
    return override(returned, claims, version=version)


async def apply_client_credentials(
    ctx: Context,
    *,
    pool: Pool,
    client_id: str,
    access_claims: dict[str, Any],
    scopes: Sequence[str],
    client_metadata: Mapping[str, str],
) -> dict[str, Any]:
    """The claims of a client_credentials access token as a V3_0 function changed them
    (unchanged without one); module docstring for the event."""
    found = configured(pool)
    if found is None or found[1] != "3":
        return access_claims
    arn, version = found
    request: dict[str, Any] = {
        "userAttributes": {},
        "groupConfiguration": {
            "groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": None,
        },
        "scopes": list(scopes),
        "clientMetadata": dict(client_metadata),
    }  # fmt: skip
    event = _event(ctx, pool, version, CLIENT_CREDENTIALS, user_name=client_id,
                   client_id=client_id, request=request)  # fmt: skip
    returned = await ctx.triggers.invoke(TRIGGER, arn, event)
    claims = TokenClaims(id_claims={}, access_claims=access_claims, scopes=list(scopes))
    return override(returned, claims, version=version, is_machine=True).access_claims


def _event(
    ctx: Context,
    pool: Pool,
    version: str,
    trigger_source: str,
    *,
    user_name: str,
    client_id: str,
    request: Mapping[str, Any],
) -> dict[str, Any]:
    """The event envelope every pre-token invocation shares (cognito-surface.md §8)."""
    return {
        "version": version,
        "triggerSource": trigger_source,
        "region": ctx.region,
        "userPoolId": pool.id,
        "userName": user_name,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id},
        "request": dict(request),
        "response": {},
    }


def _mapping(value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
    return value


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
    return value


def override(
    returned: Mapping[str, Any], claims: TokenClaims, *, version: str, is_machine: bool = False
) -> TokenClaims:
    """Apply a returned pre-token event to `claims` (pure; reserved claims stay). A machine
    token has no user, so `groupOverrideDetails` does not apply to it."""
    response = _mapping(returned.get("response"))
    id_claims, access_claims = dict(claims.id_claims), dict(claims.access_claims)
    scopes = list(claims.scopes)
    if version == "1":
        details = _mapping(response.get("claimsOverrideDetails"))
        added = _mapping(details.get("claimsToAddOrOverride"))
        if not all(isinstance(value, str) for value in added.values()):
            raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
        _edit(id_claims, added, _names(details.get("claimsToSuppress")), _ID_RESERVED)
    else:
        details = _mapping(response.get("claimsAndScopeOverrideDetails"))
        id_part = _mapping(details.get("idTokenGeneration"))
        access_part = _mapping(details.get("accessTokenGeneration"))
        _edit(id_claims, _mapping(id_part.get("claimsToAddOrOverride")),
              _names(id_part.get("claimsToSuppress")), _ID_RESERVED)  # fmt: skip
        _edit(access_claims, _mapping(access_part.get("claimsToAddOrOverride")),
              _names(access_part.get("claimsToSuppress")), _ACCESS_RESERVED)  # fmt: skip
        suppressed = set(_names(access_part.get("scopesToSuppress")))
        added_scopes = _names(access_part.get("scopesToAdd"))
        scopes = list(dict.fromkeys(s for s in [*scopes, *added_scopes] if s not in suppressed))
        access_claims["scope"] = " ".join(scopes)
    if not is_machine:
        _override_groups(_mapping(details.get("groupOverrideDetails")), id_claims, access_claims)
    return TokenClaims(id_claims=id_claims, access_claims=access_claims, scopes=scopes)


def _edit(
    target: dict[str, Any],
    added: Mapping[str, Any],
    suppressed: Sequence[str],
    reserved: frozenset[str],
) -> None:
    for name in suppressed:
        if name not in reserved:
            target.pop(name, None)
    for name, value in added.items():
        if name not in reserved and not name.startswith("cognito:"):
            target[name] = value


def _override_groups(
    details: Mapping[str, Any], id_claims: dict[str, Any], access_claims: dict[str, Any]
) -> None:
    """groupOverrideDetails replaces groups in both tokens, roles in the ID token."""
    if "groupsToOverride" in details:
        groups = _names(details["groupsToOverride"])
        for target in (id_claims, access_claims):
            target.pop("cognito:groups", None)
            if groups:
                target["cognito:groups"] = groups
    if "iamRolesToOverride" in details:
        roles = _names(details["iamRolesToOverride"])
        id_claims.pop("cognito:roles", None)
        if roles:
            id_claims["cognito:roles"] = roles
    if "preferredRole" in details:
        preferred = details["preferredRole"]
        if preferred is not None and not isinstance(preferred, str):
            raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
        id_claims.pop("cognito:preferred_role", None)
        if preferred:
            id_claims["cognito:preferred_role"] = preferred
