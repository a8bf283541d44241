"""POST /oauth2/token: authorization_code, refresh_token and client_credentials grants.

RFC 6749 §4.1.3 (code, with RFC 7636 PKCE), §6 (refresh) and §4.4 (client credentials), as
Cognito's developer guide ("The token endpoint") describes them: client_credentials needs a
confidential client allowing that flow and grants only custom scopes (its `aws_client_metadata`
reaches a V3_0 PreTokenGeneration function); answers are JSON with
`Cache-Control: no-store`, errors `{"error": …}` (400, or 401 for invalid_client).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.oauth import client_credentials_scopes
from cognate.domain.pool import Pool
from cognate.errors import (
    CognitoError,
    InvalidLambdaResponseException,
    OAuthError,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from cognate.oauth.codes import redeem_code
from cognate.oauth.protocol import authenticate_client, error_response, oauth_json, read_form
from cognate.tokens.issue import issue_client_token, refresh_tokens

_log = logging.getLogger(__name__)
_METADATA_SHAPE = "aws_client_metadata must be a JSON object of string values"
# What a PreTokenGeneration invocation raises (triggers/runner.py).
_TRIGGER_FAILURES = (
    UserLambdaValidationException,
    UnexpectedLambdaException,
    InvalidLambdaResponseException,
)


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise OAuthError("invalid_request", f"{name} is required")
    return value


def _require_flow(client: Client, flow: str) -> None:
    """unauthorized_client unless the client has OAuth enabled with `flow` allowed."""
    if not client.is_oauth_enabled or flow not in client.allowed_oauth_flows:
        raise OAuthError("unauthorized_client")


def _client_metadata(form: Mapping[str, str]) -> dict[str, str]:
    """`aws_client_metadata`: URL-encoded JSON of string values that Cognito hands a V3_0
    PreTokenGeneration function as clientMetadata (developer guide, "The token endpoint")."""
    raw = form.get("aws_client_metadata")
    if not raw:
        return {}
    try:
        metadata = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise OAuthError("invalid_request", _METADATA_SHAPE) from exc
    if not isinstance(metadata, dict) or not all(
        isinstance(value, str) for value in metadata.values()
    ):
        raise OAuthError("invalid_request", _METADATA_SHAPE)
    return metadata


async def _client_credentials(
    ctx: Context, pool: Pool, client: Client, form: Mapping[str, str]
) -> dict[str, Any]:
    if not client.has_secret:
        raise OAuthError("unauthorized_client")
    _require_flow(client, "client_credentials")
    scopes = client_credentials_scopes(form.get("scope"), client.allowed_oauth_scopes)
    return await issue_client_token(ctx, pool, client, scopes, _client_metadata(form))


async def _authorization_code(
    ctx: Context, pool: Pool, client: Client, form: Mapping[str, str]
) -> dict[str, Any]:
    _require_flow(client, "code")
    return await redeem_code(
        ctx,
        pool,
        client,
        code=_required(form, "code"),
        redirect_uri=_required(form, "redirect_uri"),
        verifier=form.get("code_verifier"),
    )


async def _refresh_token(
    ctx: Context, pool: Pool, client: Client, form: Mapping[str, str]
) -> dict[str, Any]:
    """RFC 6749 §6 through the engine's refresh (a new refresh token only under rotation)."""
    try:
        result = await refresh_tokens(
            ctx, pool=pool, client=client, refresh_token=_required(form, "refresh_token")
        )
    except _TRIGGER_FAILURES:
        raise  # reported by the endpoint like every grant's
    except CognitoError as exc:
        raise OAuthError("invalid_grant") from exc
    tokens = {
        "id_token": result["IdToken"],
        "access_token": result["AccessToken"],
        "token_type": "Bearer",
        "expires_in": result["ExpiresIn"],
    }
    if "RefreshToken" in result:
        tokens["refresh_token"] = result["RefreshToken"]
    return tokens


_GRANTS = {
    "client_credentials": _client_credentials,
    "authorization_code": _authorization_code,
    "refresh_token": _refresh_token,
}


def token_routes(ctx: Context) -> list[Route]:
    """POST /oauth2/token."""

    async def token(request: Request) -> JSONResponse:
        try:
            form = await read_form(request)
            grant = _GRANTS.get(_required(form, "grant_type"))
            if grant is None:
                raise OAuthError("unsupported_grant_type")
            pool, client = await authenticate_client(ctx, request, form)
            return oauth_json(await grant(ctx, pool, client, form))
        except OAuthError as exc:
            return error_response(exc)
        except _TRIGGER_FAILURES as exc:
            # Any grant whose PreTokenGeneration function refuses, fails or times out: reported
            # as invalid_request with the trigger's message (as on the hosted UI's error
            # redirects); retrying the same request is not what a 5xx would suggest.
            return error_response(OAuthError("invalid_request", exc.message))
        except Exception:
            # The edge turns the unexpected into RFC 6749's server_error, logged with a trace.
            _log.exception("token endpoint failed")
            return error_response(OAuthError("server_error", status_code=500))

    return [Route("/oauth2/token", token, methods=["POST"])]
