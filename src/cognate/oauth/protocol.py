"""What every /oauth2 endpoint shares: form bodies, client authentication and JSON answers.

Client authentication follows RFC 6749 §2.3.1 (`client_secret_basic`, the id and secret
form-urlencoded inside HTTP Basic, or `client_secret_post`); a public client names itself with
`client_id` alone. Secrets are compared in constant time against every secret of the client (a
rotating client has two), without stopping at the first match (security-test-plan.md G77).
Token responses are never cached (RFC 6749 §5.1) and may be read cross-origin, as Cognito's.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse

from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.errors import OAuthError
from cognate.store.clients import client_secret_values, get_client_with_pool

# Far above any legitimate token request; a bigger body is refused unread.
MAX_FORM_BYTES = 64 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def read_form(request: Request) -> dict[str, str]:
    """The request's application/x-www-form-urlencoded body (RFC 6749 §3.2); a repeated
    parameter is invalid_request (§3.1)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "body must be application/x-www-form-urlencoded")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise OAuthError("invalid_request", "request too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise OAuthError("invalid_request", "body is not UTF-8") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise OAuthError("invalid_request", f"{name} given more than once")
        form[name] = value
    return form


def oauth_json(body: Mapping[str, Any], *, status_code: int = 200) -> JSONResponse:
    """A token-endpoint style JSON answer: no-store, readable cross-origin."""
    headers = {**NO_STORE, "Access-Control-Allow-Origin": "*"}
    return JSONResponse(dict(body), status_code=status_code, headers=headers)


def error_response(error: OAuthError) -> JSONResponse:
    """RFC 6749 §5.2's error body; invalid_client is 401 with a Basic challenge (§5.2)."""
    body = {"error": error.error}
    if error.description:
        body["error_description"] = error.description
    response = oauth_json(body, status_code=error.status_code)
    if error.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="cognate"'
    return response


def _invalid_client() -> OAuthError:
    return OAuthError("invalid_client", status_code=401)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientCredentials:
    """The client id and (for confidential clients) the secret a request presented."""

    client_id: str
    secret: str | None


def presented_credentials(request: Request, form: Mapping[str, str]) -> ClientCredentials:
    """Which client the request claims to be, from Basic auth or the form; both is an error."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic" and value:
        if "client_secret" in form:
            raise OAuthError("invalid_request", "more than one client authentication method")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise _invalid_client() from exc
        client_id, colon, secret = decoded.partition(":")
        if not colon:
            raise _invalid_client()
        return ClientCredentials(client_id=unquote_plus(client_id), secret=unquote_plus(secret))
    form_client_id = form.get("client_id")
    if not form_client_id:
        raise _invalid_client()
    return ClientCredentials(client_id=form_client_id, secret=form.get("client_secret"))


def _secret_matches(presented: str, secrets: list[str]) -> bool:
    # Every secret is compared, so the time taken does not say which one matched.
    results = [hmac.compare_digest(presented.encode(), secret.encode()) for secret in secrets]
    return any(results)


async def authenticate_client(
    ctx: Context, request: Request, form: Mapping[str, str]
) -> tuple[Pool, Client]:
    """The pool and client the request authenticates as, else OAuthError invalid_client (401)."""
    presented = presented_credentials(request, form)
    if "client_id" in form and form["client_id"] != presented.client_id:
        raise _invalid_client()
    async with ctx.store.read() as conn:
        found = await get_client_with_pool(conn, presented.client_id)
        if found is None:
            raise _invalid_client()
        client, pool = found
        secrets = await client_secret_values(conn, ctx.secrets, client.id)
    if client.has_secret:
        if presented.secret is None or not _secret_matches(presented.secret, secrets):
            raise _invalid_client()
    elif presented.secret:
        raise _invalid_client()
    return pool, client


def bearer_token(request: Request) -> str | None:
    """The RFC 6750 §2.1 Bearer token of the Authorization header, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
