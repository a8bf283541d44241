"""Identity pools: configuration, provider names and role resolution. Pure: no I/O.

Developer guide, "Identity pools (federated identities) authentication flow": a user pool is
a login provider of an identity pool under the name `cognito-idp.{region}.amazonaws.com/
{userPoolId}`, and its app clients are the audiences accepted from it. SPEC (Identity pools)
adds the name Amplify builds, the token's `iss` without its scheme (`127.0.0.1:9229/{poolId}`):
both name the same provider, so everything here works on the canonical (Cognito) name.

Developer guide, "Role-based access control": the authenticated role by default; a role
mapping per provider (`{provider}:{clientId}` for user pools) picks the role from the token
(`cognito:preferred_role`, `cognito:roles`) or from the first matching rule, and
AmbiguousRoleResolution decides what happens when neither gives one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cognate.errors import (
    InvalidIdentityPoolConfigurationException,
    InvalidParameterException,
    NotAuthorizedException,
)

_USER_POOL_ID = r"[\w-]+_[0-9a-zA-Z]+"
_COGNITO_PROVIDER = re.compile(rf"cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/({_USER_POOL_ID})")
# Cognito's limit on rules per provider ("Role-based access control": up to 25 rules).
MAX_RULES = 25
_CONFIG_FIELDS = (
    "SupportedLoginProviders",
    "DeveloperProviderName",
    "OpenIdConnectProviderARNs",
    "CognitoIdentityProviders",
    "SamlProviderARNs",
    "IdentityPoolTags",
)


def canonical_provider(region: str, user_pool_id: str) -> str:
    """The name Cognito gives a user pool as a login provider."""
    return f"cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def user_pool_of_provider(name: str, *, region: str, issuer_host: str) -> str | None:
    """The user pool a Logins key (or a configured ProviderName) names, or None.

    `issuer_host` is this server's issuer prefix without its scheme (`127.0.0.1:9229`): the
    Amplify-style key is `{issuer_host}/{userPoolId}`. A Cognito-style key of another region
    names no pool of ours.
    """
    match = _COGNITO_PROVIDER.fullmatch(name)
    if match is not None:
        return match.group(2) if match.group(1) == region else None
    prefix = issuer_host + "/"
    rest = name[len(prefix) :] if name.startswith(prefix) else ""
    return rest if re.fullmatch(_USER_POOL_ID, rest) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityPool:
    """A stored identity pool: its wire configuration and its roles."""

    id: str
    name: str
    config: Mapping[str, Any]
    roles: Mapping[str, str]
    role_mappings: Mapping[str, Any]

    @property
    def allows_unauthenticated(self) -> bool:
        """AllowUnauthenticatedIdentities: whether guest identities may exist."""
        return bool(self.config.get("AllowUnauthenticatedIdentities"))

    @property
    def allows_classic_flow(self) -> bool:
        """AllowClassicFlow: whether GetOpenIdToken (the basic flow) is open."""
        return bool(self.config.get("AllowClassicFlow"))

    def wire(self) -> dict[str, Any]:
        """The IdentityPool shape Describe, Create and Update answer with."""
        return {"IdentityPoolId": self.id, **self.config}


def pool_config(request: Mapping[str, Any], *, region: str, issuer_host: str) -> dict[str, Any]:
    """The stored configuration of a Create/UpdateIdentityPool request.

    UpdateIdentityPool replaces everything (wave2-surface §2.1), so omitted fields take
    their defaults here for both operations.
    """
    config: dict[str, Any] = {
        "IdentityPoolName": request["IdentityPoolName"],
        "AllowUnauthenticatedIdentities": bool(request["AllowUnauthenticatedIdentities"]),
        "AllowClassicFlow": bool(request.get("AllowClassicFlow", False)),
    }
    for field in _CONFIG_FIELDS:
        if request.get(field) is not None:
            config[field] = request[field]
    for provider in config.get("CognitoIdentityProviders") or ():
        name = str(provider.get("ProviderName", ""))
        if user_pool_of_provider(name, region=region, issuer_host=issuer_host) is None:
            raise InvalidParameterException(f"Invalid provider name: {name}")
        if not provider.get("ClientId"):
            raise InvalidParameterException(f"ClientId is required for provider {name}.")
    return config


def check_role_mappings(mappings: Mapping[str, Any]) -> None:
    """Refuse a RoleMappings value Cognito refuses (wave2-surface §2.3, SetIdentityPoolRoles)."""
    for key, mapping in mappings.items():
        kind = mapping.get("Type")
        if not mapping.get("AmbiguousRoleResolution"):
            raise InvalidParameterException(
                f"AmbiguousRoleResolution must be specified for provider {key}."
            )
        rules = (mapping.get("RulesConfiguration") or {}).get("Rules") or []
        if kind == "Rules" and not rules:
            raise InvalidParameterException(
                f"RulesConfiguration must be specified for provider {key} of type Rules."
            )
        if len(rules) > MAX_RULES:
            raise InvalidParameterException(f"At most {MAX_RULES} rules per provider: {key}.")


@dataclass(frozen=True, slots=True, kw_only=True)
class PresentedLogin:
    """A verified login of a GetCredentialsForIdentity call: its mapping key and claims."""

    mapping_key: str
    claims: Mapping[str, Any]


def _values(claim: object) -> list[str]:
    """A claim as strings: list claims (cognito:groups) match element by element."""
    if isinstance(claim, list):
        return [str(item) for item in claim]
    return [] if claim is None else [str(claim)]


def rule_matches(rule: Mapping[str, Any], claims: Mapping[str, Any]) -> bool:
    """Whether one MappingRule matches the token's claims ("Role-based access control")."""
    values, wanted = _values(claims.get(rule["Claim"])), str(rule["Value"])
    match rule["MatchType"]:
        case "Equals":
            return wanted in values
        case "Contains":
            return any(wanted in value for value in values)
        case "StartsWith":
            return any(value.startswith(wanted) for value in values)
        case "NotEqual":
            return bool(values) and wanted not in values
    return False


def _token_roles(claims: Mapping[str, Any]) -> list[str]:
    """cognito:roles: a JSON array in real tokens; the guide calls it comma-separated."""
    roles = claims.get("cognito:roles")
    if isinstance(roles, str):
        return [role for role in roles.split(",") if role]
    return _values(roles)


def _mapped_role(
    mapping: Mapping[str, Any], claims: Mapping[str, Any], custom_role_arn: str | None
) -> str | None:
    """The role a Token or Rules mapping gives, or None when it is ambiguous."""
    if mapping.get("Type") == "Token":
        roles = _token_roles(claims)
        if custom_role_arn:
            if custom_role_arn not in roles:
                raise NotAuthorizedException("Invalid CustomRoleArn for the login token.")
            return custom_role_arn
        preferred = claims.get("cognito:preferred_role")
        return str(preferred) if preferred else None
    rules = (mapping.get("RulesConfiguration") or {}).get("Rules") or []
    matched = [str(rule["RoleARN"]) for rule in rules if rule_matches(rule, claims)]
    if custom_role_arn and custom_role_arn in matched:
        return custom_role_arn
    return matched[0] if matched else None


def resolve_role(
    pool: IdentityPool,
    logins: Sequence[PresentedLogin],
    *,
    custom_role_arn: str | None = None,
) -> str:
    """The role of an authenticated identity (wave2-surface §2.5).

    With several logins, the first in key order that has a mapping decides, so the answer
    does not depend on the order of the client's Logins map.
    """
    for login in sorted(logins, key=lambda item: item.mapping_key):
        mapping = pool.role_mappings.get(login.mapping_key)
        if mapping is None:
            continue
        role = _mapped_role(mapping, login.claims, custom_role_arn)
        if role is not None:
            return role
        if mapping.get("AmbiguousRoleResolution") == "Deny":
            raise NotAuthorizedException(
                f"The ambiguous role mapping rules for: {login.mapping_key} denied this request."
            )
        break
    return _pool_role(pool, "authenticated")


def unauthenticated_role(pool: IdentityPool) -> str:
    """The role of a guest identity."""
    return _pool_role(pool, "unauthenticated")


def _pool_role(pool: IdentityPool, kind: str) -> str:
    role = pool.roles.get(kind)
    if not role:
        raise InvalidIdentityPoolConfigurationException(
            "Invalid identity pool configuration. Check assigned IAM roles for this pool."
        )
    return role
