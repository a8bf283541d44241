"""A federated sign-in from the provider's answer to the user it signs in as.

wave2-surface.md §1.3, §1.9 and cognito-surface.md §8, in order: read the provider's answer
(OIDC: exchange the code, verify the ID token, read userInfo; SAML: verify the Response and
take the assertion's NameID and attributes), run InboundFederation, apply AttributeMapping,
find or create the user (PreSignUp_ExternalProvider on the first sign-in), then
PostAuthentication. The hosted UI then finishes as after a password (authorization code, SSO
session); PreTokenGeneration runs when the tokens are minted, with triggerSource
TokenGeneration_HostedAuth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cognate.auth import flow
from cognate.context import Context
from cognate.domain.client import Client
from cognate.domain.federated_identity import federated_username
from cognate.domain.identity_provider import ProviderType
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.errors import OAuthError
from cognate.federation import linking, oidc, saml
from cognate.federation.inbound import inbound_federation
from cognate.federation.mapping import mapped_attributes, merged_claims
from cognate.federation.state import BAD_STATE, Flight
from cognate.idp import auth_triggers
from cognate.store import identity_providers as provider_store
from cognate.store.identity_providers import IdentityProvider

# The types that can sign in: OpenID Connect with an ID token, and SAML; the others are still
# to come.
SUPPORTED_TYPES = frozenset({ProviderType.OIDC, ProviderType.GOOGLE, ProviderType.SAML})
_MAX_SUBJECT = 255


def callback_url(ctx: Context) -> str:
    """The redirect_uri registered at every provider (SPEC: served at the public URL)."""
    return f"{ctx.base_url}/oauth2/idpresponse"


async def enabled_provider(
    ctx: Context, pool: Pool, client: Client, *, name: str | None, identifier: str | None = None
) -> IdentityProvider:
    """The provider `name` (or the one holding IdpIdentifier `identifier`), if the client
    lists it in SupportedIdentityProviders and its type can sign in; else OAuthError."""
    async with ctx.store.read() as conn:
        if not name and identifier:
            name = (await provider_store.identifier_owners(conn, pool.id)).get(identifier)
        provider = (
            await provider_store.get_identity_provider(conn, ctx.secrets, pool.id, name)
            if name
            else None
        )
    supported = client.config.get("SupportedIdentityProviders") or []
    if provider is None or provider.name not in supported:
        raise OAuthError("invalid_request", "The identity provider is not enabled for the client.")
    if provider.type not in SUPPORTED_TYPES:
        raise OAuthError(
            "invalid_request", f"Sign-in through {provider.type.value} providers is not supported."
        )
    return provider


async def federated_sign_in(
    ctx: Context, pool: Pool, client: Client, flight: Flight, code: str
) -> User:
    """The user signing in with the provider's `code`; OAuthError or a trigger's CognitoError
    when the sign-in is refused."""
    provider = await enabled_provider(ctx, pool, client, name=flight.provider_name)
    if provider.type is ProviderType.SAML:
        raise OAuthError("invalid_request", BAD_STATE)
    found = await oidc.endpoints(ctx, provider)
    tokens = await oidc.exchange_code(
        provider, found, code=code, redirect_uri=callback_url(ctx), verifier=flight.verifier
    )
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise oidc.upstream_error("the provider sent no ID token.")
    claims = await oidc.verify_id_token(ctx, provider, found, id_token, nonce=flight.nonce)
    subject = str(claims["sub"])
    if not 0 < len(subject) <= _MAX_SUBJECT:
        raise oidc.upstream_error("the ID token's subject is not usable.")
    access_token = tokens.get("access_token")
    info = await oidc.user_info(
        provider, found, access_token if isinstance(access_token, str) else "", subject
    )
    return await finish_sign_in(
        ctx, pool, client, provider, subject=subject, claims=merged_claims(claims, info),
        sent={"tokenResponse": tokens, "idToken": claims, "userInfo": info},
        issuer=linking.provider_issuer(provider),
    )  # fmt: skip


async def saml_sign_in(
    ctx: Context,
    pool: Pool,
    client: Client,
    provider: IdentityProvider,
    saml_response: str,
    *,
    expected: str | None,
) -> tuple[User, saml.Assertion]:
    """The user signing in with a SAML Response answering the AuthnRequest `expected` (None:
    IdP-initiated, which the provider must allow with IDPInit=true), and the assertion (single
    logout repeats its NameID); OAuthError or a trigger's CognitoError when it is refused."""
    if provider.type is not ProviderType.SAML:
        raise OAuthError("invalid_request", "The identity provider is not a SAML provider.")
    if expected is None and not saml.is_true(provider, "IDPInit"):
        raise oidc.upstream_error("the provider may not start a sign-in (IDPInit).")
    assertion = await saml.verified_assertion(
        ctx, pool.id, provider, saml_response, expected=expected
    )
    if len(assertion.name_id) > _MAX_SUBJECT:
        raise oidc.upstream_error("the assertion's NameID is not usable.")
    user = await finish_sign_in(
        ctx, pool, client, provider, subject=assertion.name_id, claims=assertion.attributes,
        sent=saml.attribute_event(assertion), issuer=assertion.issuer,
    )  # fmt: skip
    return user, assertion


async def finish_sign_in(
    ctx: Context,
    pool: Pool,
    client: Client,
    provider: IdentityProvider,
    *,
    subject: str,
    claims: Mapping[str, Any],
    sent: Mapping[str, Mapping[str, Any]],
    issuer: str | None,
) -> User:
    """Every provider type's common end: InboundFederation (shown `sent`, may replace
    `claims`), AttributeMapping, the user found or created, PostAuthentication."""
    username = federated_username(provider.name, subject, case_sensitive=pool.is_case_sensitive)
    source = await inbound_federation(
        ctx, pool, client, provider, username=username, attributes=sent, claims=dict(claims)
    )
    attributes = mapped_attributes(provider.attribute_mapping, source)
    user = await linking.sign_in_user(
        ctx, pool, client, provider, subject, attributes, claims=claims, issuer=issuer
    )
    if not user.is_enabled:
        raise OAuthError("invalid_request", "User is disabled.")
    await auth_triggers.post_authentication(ctx, flow.Attempt(pool=pool, client=client, user=user))
    return user
