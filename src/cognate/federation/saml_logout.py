"""SAML 2.0 Single Logout with the user pool as service provider: /logout ends the session at
the IdP too, and the IdP can end Cognate's session.

Sources: SAML 2.0 Profiles §4.4 (Single Logout: a LogoutRequest naming the NameID and
SessionIndex of the sign-in, answered by a LogoutResponse with its InResponseTo), Bindings
§3.4 (HTTP-Redirect, the signature over the query string) and §3.5 (HTTP-POST, an XML
signature). Cognito (developer guide, "Signing out SAML users with single sign-out";
wave2-surface.md §1.9, cognito-surface.md §6): with ProviderDetails IDPSignout=true, /logout
for a user who signed in through that provider sends a LogoutRequest to the IdP's
SLORedirectBindingURI, signed with the pool's key when RequestSigningAlgorithm=rsa-sha256; the
IdP answers at /saml2/logout, and only then does the browser go to the logout_uri.

What /logout needs to know is kept in a sealed cookie per pool set at the SAML sign-in (the
provider, NameID and SessionIndex, the user's sub), living as long as the SSO session. The
logout_uri /logout checked travels to the IdP and back sealed in RelayState. Every message
from the IdP must be signed by a signing certificate of its metadata (Redirect: the query
signature; POST: the XML signature) and come from its entity id.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
import secrets
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import anyio
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NameID
from saml2.sigver import verify_redirect_signature
from saml2.xmldsig import SIG_RSA_SHA256
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cognate.context import Context
from cognate.domain.identity_provider import ProviderType
from cognate.domain.pool import Pool
from cognate.domain.saml_metadata import IdpMetadata
from cognate.domain.user import User
from cognate.errors import OAuthError
from cognate.federation import saml
from cognate.federation.oidc import upstream_error
from cognate.hosted_ui import pages
from cognate.hosted_ui.forms import problem
from cognate.oauth.authorize import SSO_LIFETIME, sso_cookie_name, sso_user
from cognate.oauth.protocol import read_form
from cognate.store import federated_identities as identity_store
from cognate.store import identity_providers as provider_store
from cognate.store.identity_providers import IdentityProvider

_log = logging.getLogger(__name__)

SESSION_COOKIE_PREFIX: Final = "cognate-saml-"
_SESSION_PURPOSE: Final = "saml-session"
_LOGOUT_PURPOSE: Final = "saml-logout"
_LOGOUT_SECONDS: Final = 300
_BAD_LOGOUT: Final = "The sign-out request is not valid, was already used, or has expired."

SignOut = Callable[[Request, Pool, str], Awaitable[Response | None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class SamlSession:
    """A browser's SAML sign-in to a pool: whom the IdP named, for which user."""

    pool_id: str
    provider_name: str
    sub: str
    name_id: str
    name_id_format: str | None
    session_index: str | None
    expires_at: int


def session_cookie_name(pool_id: str) -> str:
    """One SAML session cookie per pool, beside its SSO cookie."""
    return f"{SESSION_COOKIE_PREFIX}{pool_id}"


def _seal(ctx: Context, body: Mapping[str, Any], purpose: str) -> str:
    sealed = ctx.secrets.encrypt(json.dumps(body, separators=(",", ":")).encode(), purpose)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def _unseal(ctx: Context, text: str | None, purpose: str) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body = json.loads(ctx.secrets.decrypt(raw, purpose))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("expires_at"), int):
        return None
    return body if ctx.clock().timestamp() < body["expires_at"] else None


def remember_session(
    ctx: Context, response: Response, pool_id: str, provider: IdentityProvider,
    user: User, assertion: saml.Assertion,
) -> Response:  # fmt: skip
    """`response` (the end of a SAML sign-in) also setting the pool's SAML session cookie."""
    session = SamlSession(
        pool_id=pool_id, provider_name=provider.name, sub=user.sub, name_id=assertion.name_id,
        name_id_format=assertion.name_id_format, session_index=assertion.session_index,
        expires_at=int((ctx.clock() + SSO_LIFETIME).timestamp()),
    )  # fmt: skip
    secure = pages.is_secure(ctx)
    # Over https the cookie rides an IdP's cross-site POST to /saml2/logout too.
    response.set_cookie(
        session_cookie_name(pool_id), _seal(ctx, dataclasses.asdict(session), _SESSION_PURPOSE),
        max_age=int(SSO_LIFETIME.total_seconds()), httponly=True, path="/",
        samesite="none" if secure else "lax", secure=secure,
    )  # fmt: skip
    return response


def _session(ctx: Context, text: str | None) -> SamlSession | None:
    body = _unseal(ctx, text, _SESSION_PURPOSE)
    try:
        return SamlSession(**body) if body is not None else None
    except TypeError:
        return None


def _ended(ctx: Context, response: Response, pool_id: str) -> Response:
    """`response` clearing the pool's SSO and SAML session cookies."""
    secure = pages.is_secure(ctx)
    for name in (sso_cookie_name(pool_id), session_cookie_name(pool_id)):
        response.delete_cookie(name, path="/", secure=secure, httponly=True)
    return response


def _logout_location(
    sp: saml.ServiceProvider, idp: IdpMetadata, session: SamlSession,
    *, message_id: str, relay_state: str, signs: bool,
) -> str:  # fmt: skip
    destination = idp.slo_url or ""
    with tempfile.TemporaryDirectory() as folder:
        client = saml.sp_client(sp, idp, Path(folder), unsolicited=False, decrypts=False)
        name_id = NameID(text=session.name_id, format=session.name_id_format)
        _, request = client.create_logout_request(
            destination, idp.entity_id, name_id=name_id, message_id=message_id, sign=False,
            session_indexes=[session.session_index] if session.session_index else None,
        )  # fmt: skip
        info = client.apply_binding(
            BINDING_HTTP_REDIRECT, str(request), destination, relay_state,
            sign=signs, sigalg=SIG_RSA_SHA256,
        )  # fmt: skip
    return str(dict(info["headers"])["Location"])


async def _signing_out(
    ctx: Context, pool: Pool, session: SamlSession, location: str
) -> Response | None:
    async with ctx.store.read() as conn:
        provider = await provider_store.get_identity_provider(
            conn, ctx.secrets, pool.id, session.provider_name
        )
    if provider is None or provider.type is not ProviderType.SAML:
        return None
    if not saml.is_true(provider, "IDPSignout"):
        return None
    idp = await saml.metadata(ctx, provider)
    if idp.slo_url is None:
        return None
    sp = await saml.service_provider(ctx, pool.id)
    message_id = f"_{secrets.token_hex(20)}"
    relay_state = _seal(ctx, {
        "id": message_id, "pool": pool.id, "provider": provider.name, "location": location,
        "expires_at": int(ctx.clock().timestamp()) + _LOGOUT_SECONDS,
    }, _LOGOUT_PURPOSE)  # fmt: skip
    signs = provider.details.get("RequestSigningAlgorithm") == "rsa-sha256"
    target = await anyio.to_thread.run_sync(
        lambda: _logout_location(
            sp, idp, session, message_id=message_id, relay_state=relay_state, signs=signs
        )
    )
    return pages.redirect(target)


def single_logout(ctx: Context) -> SignOut:
    """/logout's hook: for a browser whose SSO session came from a SAML provider with
    IDPSignout=true, the redirect to the IdP's SLO endpoint (the browser comes back to
    /saml2/logout and then goes to `location`); else None, and /logout goes there itself.
    An IdP that cannot be reached does not keep the user signed in here: None as well."""

    async def sign_out(request: Request, pool: Pool, location: str) -> Response | None:
        session = _session(ctx, request.cookies.get(session_cookie_name(pool.id)))
        if session is None or session.pool_id != pool.id:
            return None
        signed_in = await sso_user(ctx, pool, request.cookies.get(sso_cookie_name(pool.id)))
        if signed_in is None or signed_in[0].sub != session.sub:
            return None
        try:
            response = await _signing_out(ctx, pool, session, location)
        except OAuthError as exc:
            _log.warning("SAML single logout skipped: %s", exc.description)
            return None
        return _ended(ctx, response, pool.id) if response is not None else None

    return sign_out


@dataclass(frozen=True, slots=True, kw_only=True)
class _Message:
    """A verified message from the IdP: a LogoutRequest (`name_id`, `session_indexes`) or a
    LogoutResponse (`in_response_to`)."""

    is_request: bool
    id: str
    in_response_to: str | None
    name_id: str | None
    session_indexes: tuple[str, ...]
    request: Any


def _redirect_signed(client: Any, idp: IdpMetadata, params: Mapping[str, str], kind: str) -> bool:
    if not params.get("Signature") or not params.get("SigAlg"):
        return False
    message = {name: params[name] for name in (kind, "RelayState", "SigAlg", "Signature")
               if name in params}  # fmt: skip
    certificates = client.metadata.certs(idp.entity_id, "idpsso", "signing")
    return any(
        verify_redirect_signature(message, client.sec.sec_backend, certificate)
        for _name, certificate in certificates
    )


def _verified_message(
    sp: saml.ServiceProvider, idp: IdpMetadata, params: Mapping[str, str], binding: str
) -> _Message:
    kind = "SAMLRequest" if params.get("SAMLRequest") else "SAMLResponse"
    encoded = params.get(kind) or ""
    bad = upstream_error("the SAML logout message is not valid.")
    with tempfile.TemporaryDirectory() as folder:
        client = saml.sp_client(sp, idp, Path(folder), unsolicited=False, decrypts=False)
        try:
            if binding == BINDING_HTTP_REDIRECT:
                if not _redirect_signed(client, idp, params, kind):
                    raise bad
            else:
                xml = base64.b64decode(encoded).decode()
                check = (client.sec.correctly_signed_logout_request if kind == "SAMLRequest"
                         else client.sec.correctly_signed_logout_response)  # fmt: skip
                check(xml, must=True)
            if kind == "SAMLRequest":
                parsed = client.parse_logout_request(encoded, binding)
                message = parsed.message
            else:
                message = client.parse_logout_request_response(encoded, binding).response
        except OAuthError:
            raise
        except Exception as exc:  # pysaml2 refuses with many exception types, all alike here
            raise bad from exc
    if message is None or message.issuer is None or message.issuer.text != idp.entity_id:
        raise bad
    if kind == "SAMLRequest":
        indexes = tuple(str(index.text) for index in message.session_index or [] if index.text)
        return _Message(
            is_request=True, id=str(message.id), in_response_to=None, request=message,
            name_id=(message.name_id.text or "").strip() if message.name_id else None,
            session_indexes=indexes,
        )  # fmt: skip
    return _Message(
        is_request=False, id=str(message.id), in_response_to=message.in_response_to,
        name_id=None, session_indexes=(), request=None,
    )  # fmt: skip


def _answer_location(
    sp: saml.ServiceProvider, idp: IdpMetadata, request: Any, relay_state: str, *, signs: bool
) -> str:
    destination = idp.slo_response_url or ""
    with tempfile.TemporaryDirectory() as folder:
        client = saml.sp_client(sp, idp, Path(folder), unsolicited=False, decrypts=False)
        response = client.create_logout_response(request, [BINDING_HTTP_REDIRECT], sign=False)
        info = client.apply_binding(
            BINDING_HTTP_REDIRECT, str(response), destination, relay_state, response=True,
            sign=signs, sigalg=SIG_RSA_SHA256,
        )  # fmt: skip
    return str(dict(info["headers"])["Location"])


async def _provider(ctx: Context, pool_id: str, name: str) -> IdentityProvider:
    async with ctx.store.read() as conn:
        provider = await provider_store.get_identity_provider(conn, ctx.secrets, pool_id, name)
    if provider is None or provider.type is not ProviderType.SAML:
        raise OAuthError("invalid_request", _BAD_LOGOUT)
    return provider


async def _verified(
    ctx: Context, pool_id: str, provider: IdentityProvider, params: Mapping[str, str],
    binding: str,
) -> tuple[saml.ServiceProvider, IdpMetadata, _Message]:  # fmt: skip
    idp = await saml.metadata(ctx, provider)
    sp = await saml.service_provider(ctx, pool_id)
    message = await anyio.to_thread.run_sync(lambda: _verified_message(sp, idp, params, binding))
    return sp, idp, message


async def _logout_response(ctx: Context, params: Mapping[str, str], binding: str) -> Response:
    """The IdP's answer to our LogoutRequest: the session ends, the browser goes on to the
    logout_uri /logout checked (sealed in RelayState, accepted once)."""
    state = _unseal(ctx, params.get("RelayState"), _LOGOUT_PURPOSE)
    if state is None:
        raise OAuthError("invalid_request", _BAD_LOGOUT)
    provider = await _provider(ctx, state["pool"], state["provider"])
    _sp, _idp, message = await _verified(ctx, state["pool"], provider, params, binding)
    if message.is_request or message.in_response_to != state["id"]:
        raise OAuthError("invalid_request", _BAD_LOGOUT)
    now = ctx.clock()
    key = ctx.secrets.keyed_hash(state["id"], _LOGOUT_PURPOSE)
    until = datetime.fromtimestamp(state["expires_at"], tz=now.tzinfo)
    async with ctx.store.begin() as conn:
        if not await identity_store.spend_state(conn, key, expires_at=until, now=now):
            raise OAuthError("invalid_request", _BAD_LOGOUT)
    return _ended(ctx, pages.redirect(state["location"]), state["pool"])


async def _logout_request(
    ctx: Context, request: Request, params: Mapping[str, str], binding: str
) -> Response:
    """An IdP-initiated LogoutRequest: it is checked against the IdP of this browser's SAML
    session (the cookie names the pool and provider); the session ends when the NameID (and
    SessionIndex, if given) are that session's, and the IdP gets a LogoutResponse."""
    sessions = [
        found for name, value in request.cookies.items()
        if name.startswith(SESSION_COOKIE_PREFIX) and (found := _session(ctx, value)) is not None
    ]  # fmt: skip
    for session in sessions:
        provider = await _provider(ctx, session.pool_id, session.provider_name)
        try:
            sp, idp, message = await _verified(ctx, session.pool_id, provider, params, binding)
        except OAuthError:
            continue
        if not message.is_request:
            break
        return await _answered(ctx, session, provider, sp, idp, message, params)
    raise OAuthError("invalid_request", _BAD_LOGOUT)


async def _answered(
    ctx: Context, session: SamlSession, provider: IdentityProvider, sp: saml.ServiceProvider,
    idp: IdpMetadata, message: _Message, params: Mapping[str, str],
) -> Response:  # fmt: skip
    """The LogoutResponse to the IdP; the session ends if the request names its subject."""
    signs = provider.details.get("RequestSigningAlgorithm") == "rsa-sha256"
    relay_state = params.get("RelayState") or ""
    location = await anyio.to_thread.run_sync(
        lambda: _answer_location(sp, idp, message.request, relay_state, signs=signs)
    )
    response = pages.redirect(location)
    matches = message.name_id == session.name_id and (
        not message.session_indexes or session.session_index in message.session_indexes
    )
    return _ended(ctx, response, session.pool_id) if matches else response


def logout_routes(ctx: Context) -> list[Route]:
    """GET (HTTP-Redirect binding) and POST (HTTP-POST binding) /saml2/logout."""

    async def saml_logout(request: Request) -> Response:
        binding = BINDING_HTTP_POST if request.method == "POST" else BINDING_HTTP_REDIRECT
        try:
            params: Mapping[str, str] = (
                await read_form(request) if request.method == "POST" else request.query_params
            )
            if params.get("SAMLResponse"):
                return await _logout_response(ctx, params, binding)
            if params.get("SAMLRequest"):
                return await _logout_request(ctx, request, params, binding)
            raise OAuthError("invalid_request", _BAD_LOGOUT)
        except OAuthError as exc:
            return problem(OAuthError(exc.error, exc.description))

    return [Route("/saml2/logout", saml_logout, methods=["GET", "POST"])]
