"""The AWS credentials GetCredentialsForIdentity hands out.

Cognito gets them from STS AssumeRoleWithWebIdentity (role session name
"CognitoIdentityCredentials"). Cognate has no STS: the credentials are random values in the
shape of real ones (AccessKeyId `ASIA` + 16 characters, a 40-character SecretKey, a long
SessionToken, one hour of validity) and are NOT usable against real AWS. They are recorded
with their identity and role, the secret parts only as keyed hashes, so a future verifier of
this server could recognise them.
"""

from __future__ import annotations

import base64
import secrets
import string
from datetime import timedelta
from typing import Any

from cognate.context import Context
from cognate.store import identities as identity_store

VALIDITY = timedelta(hours=1)
HASH_PURPOSE = "identity-credentials"
_KEY_ID_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def _access_key_id() -> str:
    return "ASIA" + "".join(secrets.choice(_KEY_ID_ALPHABET) for _ in range(16))


def _secret_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def _session_token() -> str:
    return base64.b64encode(secrets.token_bytes(384)).decode()


async def issue_credentials(ctx: Context, identity_id: str, role_arn: str) -> dict[str, Any]:
    """Fresh credentials for the identity in `role_arn` (the Credentials wire shape)."""
    now = ctx.clock()
    access_key_id, secret_key, session_token = _access_key_id(), _secret_key(), _session_token()
    expires_at = now + VALIDITY
    async with ctx.store.begin() as conn:
        await identity_store.delete_expired_credentials(conn, now)
        await identity_store.insert_credentials(
            conn,
            access_key_id=access_key_id,
            identity_id=identity_id,
            role_arn=role_arn,
            secret_hash=ctx.secrets.keyed_hash(secret_key, HASH_PURPOSE),
            session_token_hash=ctx.secrets.keyed_hash(session_token, HASH_PURPOSE),
            expires_at=expires_at,
        )
    return {
        "AccessKeyId": access_key_id,
        "SecretKey": secret_key,
        "SessionToken": session_token,
        "Expiration": expires_at,
    }
