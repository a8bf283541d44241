"""Passkeys (WebAuthn credentials): when a pool offers them, which relying party and origins it
trusts, how many a user may hold, and the WebAuthnCredentialDescription wire shape.

Sources: cognito-surface.md §2a "WebAuthn" and §2b (WEB_AUTHN), the API references of
StartWebAuthnRegistration, ListWebAuthnCredentials (MaxResults 0-20) and WebAuthnConfigurationType
("RelyingPartyId ... typically your user pool domain"; UserVerification required | preferred),
the seven WebAuthn* exception descriptions in the botocore model, and WebAuthn Level 3
(https://www.w3.org/TR/webauthn-3/) §5.1.3 (origin and RP ID). A pool offers passkeys when its
SignInPolicy's AllowedFirstAuthFactors has WEB_AUTHN and its tier is ESSENTIALS or above. Pure
and sync.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

from cognate.domain.user_pool_domain import PoolDomain
from cognate.errors import (
    LimitExceededException,
    WebAuthnConfigurationMissingException,
    WebAuthnNotEnabledException,
)

FACTOR: Final = "WEB_AUTHN"
"""The first-factor and challenge name of a passkey sign-in."""

MAX_PASSKEYS: Final = 20
"""How many passkeys one user may register: the largest page ListWebAuthnCredentials returns
(MaxResults 0-20), so one page always lists them all."""

CHALLENGE_TIMEOUT_MS: Final = 180_000
"""The `timeout` hint in the options documents (three minutes, the shortest AuthSessionValidity);
the challenges themselves expire with their Session or registration seal."""


class UserVerification(enum.StrEnum):
    """WebAuthnConfigurationType.UserVerification; also WebAuthn's userVerification values."""

    REQUIRED = "required"
    PREFERRED = "preferred"


@dataclass(frozen=True, slots=True, kw_only=True)
class Passkey:
    """A registered passkey of one user.

    `credential_id` is the base64url credential id, as clients send it (`id` of the credential
    JSON) and ListWebAuthnCredentials shows it; `public_key` is the COSE_Key the authenticator
    returned (public, so stored in the clear); `sign_count` the last signature counter seen.
    """

    credential_id: str
    pool_id: str
    user_id: int
    public_key: bytes
    sign_count: int
    friendly_name: str
    relying_party_id: str
    attachment: str | None
    transports: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None = None


def is_enabled(config: Mapping[str, Any]) -> bool:
    """Whether a pool with UserPoolType `config` lets users register and sign in with passkeys."""
    policy = (config.get("Policies") or {}).get("SignInPolicy") or {}
    is_allowed = FACTOR in (policy.get("AllowedFirstAuthFactors") or [])
    return is_allowed and config.get("UserPoolTier", "ESSENTIALS") != "LITE"


def check_enabled(config: Mapping[str, Any]) -> None:
    """WebAuthnNotEnabledException unless the pool offers passkeys."""
    if not is_enabled(config):
        raise WebAuthnNotEnabledException("WebAuthn is not enabled for this user pool.")


def relying_party_id(config: Mapping[str, Any], domains: Sequence[PoolDomain], region: str) -> str:
    """The pool's relying party id: WebAuthnConfiguration.RelyingPartyId, else the host of its
    custom domain, else of its prefix domain (`{prefix}.auth.{region}.amazoncognito.com`).

    Raises WebAuthnConfigurationMissingException when the pool has none of them.
    """
    configured = (config.get("WebAuthnConfiguration") or {}).get("RelyingPartyId")
    if configured:
        return str(configured).lower()
    custom = [domain for domain in domains if domain.is_custom]
    if custom:
        return custom[0].domain.lower()
    if domains:
        return f"{domains[0].domain}.auth.{region}.amazoncognito.com"
    raise WebAuthnConfigurationMissingException(
        "The user pool has no relying party id and no domain for passkeys."
    )


def user_verification(config: Mapping[str, Any]) -> UserVerification:
    """The pool's UserVerification (Cognito's default: preferred)."""
    value = (config.get("WebAuthnConfiguration") or {}).get("UserVerification")
    return UserVerification.REQUIRED if value == "required" else UserVerification.PREFERRED


def is_origin_allowed(origin: str, rp_id: str) -> bool:
    """Whether a ceremony run at `origin` may serve relying party `rp_id` (WebAuthn §13.4.9).

    The origin's host must be the RP id or a subdomain of it, over https; plain http only on
    loopback hosts (localhost, 127.0.0.0/8, ::1), as for everything else local (SPEC).
    """
    try:
        parts = urlsplit(origin)
        host = parts.hostname or ""
        _ = parts.port  # a malformed port raises here
    except ValueError:
        return False
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        return False
    rp_id = rp_id.lower()
    if host != rp_id and not host.endswith("." + rp_id):
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host))


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_room(count: int) -> None:
    """LimitExceededException once the user already holds MAX_PASSKEYS passkeys."""
    if count >= MAX_PASSKEYS:
        raise LimitExceededException(
            f"A user can register at most {MAX_PASSKEYS} passkeys. Delete one first."
        )


def user_name(
    username_attributes: Sequence[str], username: str, attributes: Mapping[str, str]
) -> str:
    """The `user.name` a passkey provider shows in its account picker: the email or phone
    number the user signs in with when the pool's usernames are generated UUIDs, else the
    username."""
    for attribute in username_attributes:
        if attributes.get(attribute):
            return attributes[attribute]
    return username


def friendly_name(attachment: str | None) -> str:
    """The FriendlyCredentialName given to a new passkey ("automatically-generated")."""
    if attachment == "platform":
        return "Platform passkey"
    if attachment == "cross-platform":
        return "Security key"
    return "Passkey"


def credential_description(passkey: Passkey) -> dict[str, Any]:
    """The WebAuthnCredentialDescription of `passkey`."""
    description: dict[str, Any] = {
        "CredentialId": passkey.credential_id,
        "FriendlyCredentialName": passkey.friendly_name,
        "RelyingPartyId": passkey.relying_party_id,
        "AuthenticatorTransports": list(passkey.transports),
        "CreatedAt": passkey.created_at,
    }
    if passkey.attachment:
        description["AuthenticatorAttachment"] = passkey.attachment
    return description
