"""OAuth 2.0 rules of Cognito's token and authorize endpoints: scopes and PKCE. Pure: no I/O.

Developer guide, "The authorize endpoint" and "The token endpoint": unknown or disallowed scopes
in an authorize request are dropped and no scope means all the client's scopes; client_credentials
grants only custom scopes (`{resourceServerId}/{scope}`). PKCE follows RFC 7636 with S256 only
(RFC 9700 §2.1.1: `plain` offers no protection once the challenge leaks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence

from cognate.errors import OAuthError

CODE_LIFETIME_SECONDS = 300
"""Authorization codes live five minutes, as Cognito's (RFC 6749 §4.1.2 advises 10 at most)."""

OPENID_SCOPE = "openid"
# RFC 7636 §4.1: 43 to 128 unreserved characters.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# A S256 challenge is the unpadded base64url of a SHA-256 digest: 43 characters.
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def is_custom_scope(scope: str) -> bool:
    """Whether `scope` names a resource server's scope (`{identifier}/{name}`)."""
    return "/" in scope


def authorize_scopes(requested: str | None, allowed: Sequence[str]) -> tuple[str, ...]:
    """The scopes an authorize request is granted: those requested that the client may have,
    or all of the client's when none are requested. InvalidScope if nothing is left."""
    if not requested:
        granted = list(allowed)
    else:
        granted = [scope for scope in dict.fromkeys(requested.split()) if scope in allowed]
    if not granted:
        raise OAuthError("invalid_scope")
    return tuple(granted)


def client_credentials_scopes(requested: str | None, allowed: Sequence[str]) -> tuple[str, ...]:
    """The scopes of a client_credentials grant: requested ∩ allowed custom scopes (all allowed
    custom scopes when none are requested). invalid_scope when a requested one is not allowed
    or none remain."""
    custom = [scope for scope in allowed if is_custom_scope(scope)]
    if not requested:
        granted = custom
    else:
        granted = list(dict.fromkeys(requested.split()))
        if any(scope not in custom for scope in granted):
            raise OAuthError("invalid_scope")
    if not granted:
        raise OAuthError("invalid_scope")
    return tuple(granted)


def check_code_challenge(challenge: str | None, method: str | None) -> str | None:
    """The code_challenge to store for an authorize request (None without PKCE).

    Raises OAuthError invalid_request for `plain`, an unknown method, a method without a
    challenge, or a malformed challenge.
    """
    if challenge is None:
        if method is not None:
            raise OAuthError("invalid_request", "code_challenge is required")
        return None
    if method != "S256":
        raise OAuthError("invalid_request", "code_challenge_method must be S256")
    if not _S256_CHALLENGE.fullmatch(challenge):
        raise OAuthError("invalid_request", "invalid code_challenge")
    return challenge


def check_code_verifier(challenge: str | None, verifier: str | None) -> None:
    """RFC 7636 §4.6: the verifier must hash to the stored S256 challenge; a verifier without
    an earlier challenge, or a challenge without a verifier, is refused (invalid_grant)."""
    if challenge is None and verifier is None:
        return
    if challenge is None or verifier is None or not _VERIFIER.fullmatch(verifier):
        raise OAuthError("invalid_grant")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    if not hmac.compare_digest(computed, challenge):
        raise OAuthError("invalid_grant")
