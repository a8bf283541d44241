"""The browser's two hops through an external provider: /oauth2/authorize with
`identity_provider` (or `idp_identifier`) sends it there, and /oauth2/idpresponse brings it back.

Developer guide, "The authorize endpoint" and "The IdP response endpoint"; wave2-surface.md §1.3.
Out: a 302 to the provider's authorization endpoint with our client_id, redirect_uri
`{public_url}/oauth2/idpresponse`, response_type=code, the provider's authorize_scopes, the
sealed state, a nonce and a PKCE S256 challenge; `prompt=login` is passed on. Back: GET, or a
POST form (providers using response_mode=form_post). Every failure there (the provider's
`error`, a bad, replayed or foreign state, a bad code or ID token, a refusing trigger) is the
hosted UI's error page: the redirect_uri is only used once the state has proven which sign-in
this is, and then only with a code (security-test-plan.md G83: never an open redirect).

SAML (wave2-surface.md §1.9): the browser goes to the IdP's SSO URL with an AuthnRequest
(HTTP-Redirect binding) whose ID is derived from the flight and whose RelayState is the sealed
state; it comes back as a POST to /saml2/idpresponse (HTTP-POST binding: SAMLResponse,
RelayState), checked as above plus the Response itself (saml.py). An IdP-initiated response
(IDPInit=true) has no state: its RelayState is the authorize request's parameters instead
(response_type, client_id, redirect_uri, scope, identity_provider or idp_identifier).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cognate.context import Context
from cognate.domain.identity_provider import ProviderType
from cognate.errors import CognitoError, OAuthError
from cognate.federation import oidc, saml, state
from cognate.federation.saml_logout import remember_session
from cognate.federation.sign_in import (
    callback_url,
    enabled_provider,
    federated_sign_in,
    saml_sign_in,
)
from cognate.hosted_ui import pages
from cognate.hosted_ui.completion import signed_in
from cognate.hosted_ui.forms import PageRequest, from_query, problem
from cognate.hosted_ui.routes import Federate
from cognate.oauth.authorize import authorize_client, with_parameters
from cognate.oauth.protocol import read_form

_COOKIE_PATH = "/oauth2"
# The browser binding also rides the SAML POST back to the ACS.
_SAML_COOKIE_PATH = "/saml2"


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def federation_start(ctx: Context) -> Federate:
    """The hosted UI's hook for an authorize request naming an external provider."""

    async def start(request: Request, page: PageRequest) -> Response:
        params = request.query_params
        try:
            provider = await enabled_provider(
                ctx, page.pool, page.client, name=params.get("identity_provider"),
                identifier=params.get("idp_identifier"),
            )  # fmt: skip
            cookie = state.browser_cookie(request.cookies.get(state.BROWSER_COOKIE))
            flight = state.new_flight(ctx, page.authorize, provider.name, cookie)
            if provider.type is ProviderType.SAML:
                location = await saml.authn_request_url(
                    ctx, page.pool.id, provider, relay_state=state.seal(ctx, flight),
                    message_id=saml.request_id(flight.nonce),
                )  # fmt: skip
                return _with_cookie(ctx, pages.redirect(location), cookie, _SAML_COOKIE_PATH)
            found = await oidc.endpoints(ctx, provider)
        except OAuthError as exc:
            return problem(exc)
        scopes = provider.details.get("authorize_scopes", "openid")
        query = {
            "client_id": provider.details["client_id"],
            "redirect_uri": callback_url(ctx),
            "response_type": "code",
            "scope": " ".join(scopes.replace(",", " ").split()),
            "state": state.seal(ctx, flight),
            "nonce": flight.nonce,
            "code_challenge": _challenge(flight.verifier),
            "code_challenge_method": "S256",
            "prompt": "login" if page.authorize.prompt_login else None,
        }
        return _with_cookie(
            ctx, pages.redirect(with_parameters(found.authorization, query)), cookie
        )

    return start


def _with_cookie(ctx: Context, response: Response, cookie: str, *paths: str) -> Response:
    """`response` setting the browser binding `cookie` for /oauth2 and `paths`."""
    # Over https the cookie also rides a provider's cross-site form_post (or SAML POST) back
    # (it is no session, only half of the state's binding); plain-http browsers require Lax.
    secure = pages.is_secure(ctx)
    for path in (_COOKIE_PATH, *paths):
        response.set_cookie(
            state.BROWSER_COOKIE, cookie, httponly=True, samesite="none" if secure else "lax",
            secure=secure, path=path,
        )  # fmt: skip
    return response


async def _page(ctx: Context, flight: state.Flight) -> PageRequest:
    checked = flight.authorize
    params = {"client_id": checked.client_id, "redirect_uri": checked.redirect_uri}
    pool, client, _redirect_uri = await authorize_client(ctx, params)
    look = await pages.load_look(ctx, pool.id, client.id)
    return PageRequest(pool=pool, client=client, authorize=checked, form={}, look=look)


def federation_routes(ctx: Context) -> list[Route]:
    """GET and POST /oauth2/idpresponse."""

    async def idp_response(request: Request) -> Response:
        params: Mapping[str, str] = (
            await read_form(request) if request.method == "POST" else request.query_params
        )
        try:
            flight = state.open_flight(
                ctx, params.get("state"), request.cookies.get(state.BROWSER_COOKIE)
            )
            await state.spend(ctx, flight)
            if params.get("error") or not params.get("code"):
                reason = (params.get("error") or "no code")[:64]
                raise OAuthError("access_denied", f"The identity provider answered: {reason}.")
            page = await _page(ctx, flight)
            user = await federated_sign_in(ctx, page.pool, page.client, flight, params["code"])
        except OAuthError as exc:
            return problem(OAuthError(exc.error, exc.description))
        except CognitoError as exc:
            return pages.error_page("access_denied", exc.message or exc.name)
        return await signed_in(ctx, page, user)

    async def saml_response(request: Request) -> Response:
        try:
            form = await read_form(request)
            page, provider_name, expected = await _saml_request(ctx, request, form)
            provider = await enabled_provider(ctx, page.pool, page.client, name=provider_name)
            user, assertion = await saml_sign_in(
                ctx, page.pool, page.client, provider, form.get("SAMLResponse", ""),
                expected=expected,
            )  # fmt: skip
        except OAuthError as exc:
            return problem(OAuthError(exc.error, exc.description))
        except CognitoError as exc:
            return pages.error_page("access_denied", exc.message or exc.name)
        response = await signed_in(ctx, page, user)
        return remember_session(ctx, response, page.pool.id, provider, user, assertion)

    return [
        Route("/oauth2/idpresponse", idp_response, methods=["GET", "POST"]),
        Route("/saml2/idpresponse", saml_response, methods=["POST"]),
    ]


async def _saml_request(
    ctx: Context, request: Request, form: Mapping[str, str]
) -> tuple[PageRequest, str | None, str | None]:
    """The sign-in a SAML POST finishes, the provider it names and the AuthnRequest ID the
    Response must answer: a sealed RelayState is our own flight (spent here); anything else
    is an IdP-initiated sign-in's authorize parameters, and no request is outstanding."""
    relay_state = form.get("RelayState") or ""
    if state.is_sealed(ctx, relay_state):
        flight = state.open_flight(ctx, relay_state, request.cookies.get(state.BROWSER_COOKIE))
        await state.spend(ctx, flight)
        page = await _page(ctx, flight)
        return page, flight.provider_name, saml.request_id(flight.nonce)
    params = dict(parse_qsl(relay_state))
    if not params.get("client_id"):
        raise OAuthError("invalid_request", state.BAD_STATE)
    page = await from_query(ctx, params)
    name = params.get("identity_provider")
    if not name and params.get("idp_identifier"):
        provider = await enabled_provider(
            ctx, page.pool, page.client, name=None, identifier=params["idp_identifier"]
        )
        name = provider.name
    if not name:
        raise OAuthError("invalid_request", state.BAD_STATE)
    return page, name, None
