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
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cognate.context import Context
from cognate.errors import CognitoError, OAuthError
from cognate.federation import oidc, state
from cognate.federation.sign_in import callback_url, enabled_provider, federated_sign_in
from cognate.hosted_ui import pages
from cognate.hosted_ui.completion import signed_in
from cognate.hosted_ui.forms import PageRequest, problem
from cognate.hosted_ui.routes import Federate
from cognate.oauth.authorize import authorize_client, with_parameters
from cognate.oauth.protocol import read_form

_COOKIE_PATH = "/oauth2"


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
            found = await oidc.endpoints(ctx, provider)
        except OAuthError as exc:
            return problem(exc)
        cookie = state.browser_cookie(request.cookies.get(state.BROWSER_COOKIE))
        flight = state.new_flight(ctx, page.authorize, provider.name, cookie)
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
        response = pages.redirect(with_parameters(found.authorization, query))
        # Over https the cookie also rides a provider's cross-site form_post back (it is no
        # session, only half of the state's binding); plain-http browsers require Lax.
        secure = pages.is_secure(ctx)
        response.set_cookie(
            state.BROWSER_COOKIE, cookie, httponly=True, samesite="none" if secure else "lax",
            secure=secure, path=_COOKIE_PATH,
        )  # fmt: skip
        return response

    return start


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

    return [Route("/oauth2/idpresponse", idp_response, methods=["GET", "POST"])]
