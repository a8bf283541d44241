"""SECRET_HASH: how an app client with a secret proves it on the public operations.

Developer guide, "Computing secret hash values": Base64(HMAC-SHA256(key = client secret,
message = username + client id)). A client may hold two secrets during rotation
(AddUserPoolClientSecret); a hash made with either is accepted. Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from cognate.errors import NotAuthorizedException


def secret_hash(secret: str, username: str, client_id: str) -> str:
    """The SECRET_HASH a client holding `secret` sends for `username`."""
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check_secret_hash(
    secrets: Sequence[str], *, client_id: str, username: str, given: str | None
) -> None:
    """Accept `given` if it was made with one of the client's `secrets` for `username`.

    A client without secrets needs no hash (one sent anyway is ignored, as Cognito does). Raises
    NotAuthorizedException with Cognito's message otherwise.
    """
    if not secrets:
        return
    if given:
        given_bytes = given.encode()
        # Check every secret, so the time taken does not tell which one matched.
        matches = [
            hmac.compare_digest(secret_hash(secret, username, client_id).encode(), given_bytes)
            for secret in secrets
        ]
        if any(matches):
            return
    raise NotAuthorizedException(f"Unable to verify secret hash for client {client_id}")
