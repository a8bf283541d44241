"""The claims of Cognito's ID and access tokens, and their compact RS256 encoding. Pure: no I/O.

Claims follow the developer guide ("Understanding the identity (ID) token", "Understanding the
access token") and observed tokens (cognito-surface.md §7): `iss` is `{base_url}/{poolId}`;
`auth_time` is the original sign-in and survives refreshes; `origin_jti` ties every token to the
sign-in or refresh token it came from and is present only when the client has token revocation
enabled; access tokens from the API flows carry the scope `aws.cognito.signin.user.admin` and no
`version` (only hosted-UI/OAuth access tokens carry `"version": 2`, and only their ID tokens
`at_hash`). The header is exactly
`{"kid", "alg": "RS256"}`: Cognito writes no `typ` (RFC 7519 §5.1 makes it optional).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cognate.domain.user import User

ADMIN_SCOPE = "aws.cognito.signin.user.admin"

# Attributes Cognito puts in ID tokens as JSON booleans rather than strings.
_BOOLEAN_ATTRIBUTES = frozenset({"email_verified", "phone_number_verified"})
# Never in a token: developer-only attributes and Cognito's own bookkeeping.
_HIDDEN_PREFIXES = ("dev:", "cognito:")


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupClaim:
    """What a token says about one of the user's groups."""

    name: str
    role_arn: str | None
    precedence: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenEvent:
    """One issuing of tokens: who, for which client, when, and the ids that tie them together."""

    issuer: str
    user: User
    client_id: str
    groups: Sequence[GroupClaim]
    origin_jti: str | None
    event_id: str
    auth_time: datetime
    now: datetime


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def ordered_groups(groups: Iterable[GroupClaim]) -> list[GroupClaim]:
    """Groups by precedence, lowest first; groups without one last; then by name."""
    return sorted(
        groups,
        key=lambda group: (group.precedence is None, group.precedence or 0, group.name),
    )


def preferred_role(groups: Iterable[GroupClaim]) -> str | None:
    """cognito:preferred_role: the RoleArn of the group with the lowest Precedence.

    Developer guide, "Adding groups to a user pool": a group with a lower precedence wins over
    higher or null ones; among groups of equal (lowest) precedence, the role is preferred only
    if they all name the same one, otherwise no role is preferred.
    """
    with_roles = [group for group in groups if group.role_arn]
    if not with_roles:
        return None
    ranked = [group for group in with_roles if group.precedence is not None]
    if ranked:
        lowest = min(group.precedence for group in ranked if group.precedence is not None)
        candidates = [group for group in ranked if group.precedence == lowest]
    else:
        candidates = with_roles
    roles = {group.role_arn for group in candidates}
    return roles.pop() if len(roles) == 1 else None


def _group_claims(groups: Sequence[GroupClaim]) -> dict[str, Any]:
    if not groups:
        return {}
    return {"cognito:groups": [group.name for group in ordered_groups(groups)]}


def readable_attributes(
    attributes: Mapping[str, str], readable: Iterable[str] | None
) -> dict[str, Any]:
    """The user's attributes as ID token claims, limited to the client's ReadAttributes (None:
    all). `*_verified` become booleans, `identities` its JSON array; custom ones stay strings."""
    allowed = set(readable) if readable is not None else None
    claims: dict[str, Any] = {}
    for name, value in attributes.items():
        if name == "sub" or name.startswith(_HIDDEN_PREFIXES):
            continue
        if allowed is not None and name not in allowed:
            continue
        if name in _BOOLEAN_ATTRIBUTES:
            claims[name] = value.lower() == "true"
        elif name == "identities":
            claims[name] = _identities_claim(value)
        else:
            claims[name] = value
    return claims


def _identities_claim(value: str) -> Any:
    """The `identities` attribute as its claim: the JSON array, with `primary` and
    `dateCreated` as strings ("true", "1642699117273"), as observed in Cognito's ID tokens."""
    try:
        entries = json.loads(value)
    except ValueError:
        return value
    if not isinstance(entries, list):
        return entries
    return [
        {
            key: json.dumps(item) if key in ("primary", "dateCreated") and item is not None
            and not isinstance(item, str) else item
            for key, item in entry.items()
        }
        if isinstance(entry, dict)
        else entry
        for entry in entries
    ]  # fmt: skip


def id_token_claims(
    event: TokenEvent, *, validity: timedelta, jti: str, readable: Iterable[str] | None
) -> dict[str, Any]:
    """The ID token payload (token_use "id"; `aud` is the client id)."""
    claims: dict[str, Any] = {"sub": event.user.sub, **_group_claims(event.groups)}
    roles = list(dict.fromkeys(g.role_arn for g in ordered_groups(event.groups) if g.role_arn))
    if roles:
        claims["cognito:roles"] = roles
        preferred = preferred_role(event.groups)
        if preferred:
            claims["cognito:preferred_role"] = preferred
    attributes = readable_attributes(event.user.attributes, readable)
    claims.update({k: v for k, v in attributes.items() if k.endswith("_verified")})
    claims["iss"] = event.issuer
    claims["cognito:username"] = event.user.username
    if event.origin_jti:
        claims["origin_jti"] = event.origin_jti
    claims["aud"] = event.client_id
    claims["event_id"] = event.event_id
    claims["token_use"] = "id"  # noqa: S105 (a claim value, not a secret)
    claims.update(_times(event, validity, jti=jti))
    claims.update({k: v for k, v in attributes.items() if not k.endswith("_verified")})
    return claims


def access_token_claims(
    event: TokenEvent,
    *,
    validity: timedelta,
    jti: str,
    scopes: Sequence[str],
    device_key: str | None,
    version: int | None = None,
) -> dict[str, Any]:
    """The access token payload (token_use "access"; `client_id`, `username`, `scope`; the
    `version` hosted-UI / OAuth access tokens carry)."""
    claims: dict[str, Any] = {"sub": event.user.sub, **_group_claims(event.groups)}
    if device_key:
        claims["device_key"] = device_key
    claims["iss"] = event.issuer
    if version is not None:
        claims["version"] = version
    claims["client_id"] = event.client_id
    if event.origin_jti:
        claims["origin_jti"] = event.origin_jti
    claims["event_id"] = event.event_id
    claims["token_use"] = "access"  # noqa: S105 (a claim value, not a secret)
    claims["scope"] = " ".join(scopes)
    claims.update(_times(event, validity, jti=jti))
    claims["username"] = event.user.username
    return claims


def client_token_claims(
    *,
    issuer: str,
    client_id: str,
    scopes: Sequence[str],
    now: datetime,
    validity: timedelta,
    jti: str,
) -> dict[str, Any]:
    """The access token payload of a client_credentials grant: `sub` is the client id, no
    username, `version` 2 as observed on Cognito's machine-to-machine tokens."""
    iat = _epoch(now)
    return {
        "sub": client_id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": iat,
        "iss": issuer,
        "exp": iat + int(validity.total_seconds()),
        "iat": iat,
        "version": 2,
        "jti": jti,
        "client_id": client_id,
    }


def _times(event: TokenEvent, validity: timedelta, *, jti: str) -> dict[str, Any]:
    iat = _epoch(event.now)
    return {
        "auth_time": _epoch(event.auth_time),
        "exp": iat + int(validity.total_seconds()),
        "iat": iat,
        "jti": jti,
    }


def b64url(data: bytes) -> str:
    """Unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def at_hash(access_token: str) -> str:
    """The ID token's `at_hash` for `access_token` (OIDC Core §3.1.3.6, RS256): the base64url
    of the left half of the SHA-256 of the token's ASCII octets."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


def signing_input(kid: str, claims: Mapping[str, Any]) -> bytes:
    """`BASE64URL(header) . BASE64URL(payload)` of an RS256 JWS (RFC 7515 §7.1)."""
    header = json.dumps({"kid": kid, "alg": "RS256"}, separators=(",", ":"))
    payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False)
    return f"{b64url(header.encode())}.{b64url(payload.encode())}".encode()


# Far above any token we issue; a bigger one is refused before decoding (RFC 8725 §3.6).
MAX_TOKEN_LENGTH = 16_384


@dataclass(frozen=True, slots=True, kw_only=True)
class CompactToken:
    """A JWS in compact serialization, decoded but NOT verified (RFC 7515 §7.1)."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    signing_input: bytes
    signature: bytes


def _b64url_decode(segment: str) -> bytes:
    if not segment or "=" in segment or not segment.isascii():
        raise ValueError("not unpadded base64url")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def decode_compact(token: str) -> CompactToken | None:
    """Split and decode a compact JWS; None if it is not one (wrong segment count, bad base64,
    JSON that is not an object, oversized or absurdly nested input)."""
    if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        return None
    header_part, payload_part, signature_part = token.split(".")
    try:
        # The standard library, not orjson: orjson reads integers beyond 64 bits as floats,
        # and a pre-token trigger may put such numbers in our tokens.
        header = json.loads(_b64url_decode(header_part))
        claims = json.loads(_b64url_decode(payload_part))
        signature = _b64url_decode(signature_part)
    except (ValueError, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return CompactToken(
        header=header,
        claims=claims,
        signing_input=f"{header_part}.{payload_part}".encode(),
        signature=signature,
    )
