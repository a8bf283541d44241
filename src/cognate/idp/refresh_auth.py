"""REFRESH_TOKEN_AUTH / REFRESH_TOKEN through InitiateAuth and AdminInitiateAuth: the client's
SECRET_HASH check, then tokens/issue.py's refresh (which runs PreTokenGeneration
TokenGeneration_RefreshTokens, the only trigger a refresh fires).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cognate.auth import flow
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.errors import NotAuthorizedException
from cognate.idp.sign_in_subjects import check_secret_hash_for
from cognate.store import tokens as token_store
from cognate.tokens.issue import REFRESH_HASH_PURPOSE, refresh_tokens


async def refresh(
    ctx: Context, pool: Pool, client: Client, parameters: Mapping[str, str]
) -> dict[str, Any]:
    """REFRESH_TOKEN_AUTH / REFRESH_TOKEN.

    A client with a secret proves it with a SECRET_HASH; clients compute it with the username
    or with the sub, so either is accepted, checked before the token is used.
    """
    refresh_token = flow.required(parameters, "REFRESH_TOKEN")
    if client.has_secret:
        token_hash = ctx.secrets.keyed_hash(refresh_token, REFRESH_HASH_PURPOSE)
        async with ctx.store.read() as conn:
            found = await token_store.find_refresh_token(conn, token_hash)
            if found is None:
                raise NotAuthorizedException("Invalid Refresh Token")
            _record, user = found
            names = (user.username, user.sub)
            await check_secret_hash_for(ctx, conn, client, names, parameters.get("SECRET_HASH"))
    result = await refresh_tokens(
        ctx,
        pool=pool,
        client=client,
        refresh_token=refresh_token,
        device_key=parameters.get("DEVICE_KEY"),
    )
    return {"AuthenticationResult": result, "ChallengeParameters": {}}
