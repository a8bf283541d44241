"""The service-provider side of SAML 2.0 Web Browser SSO: the user pool sends an AuthnRequest
to the IdP and verifies the Response the browser brings back to /saml2/idpresponse.

Sources: SAML 2.0 Bindings §3.4 (HTTP-Redirect, with the signature over the query string) and
§3.5 (HTTP-POST); Profiles §4.1.4.3 (what the SP checks: the Response's Destination, the
Issuer, a bearer SubjectConfirmation whose Recipient is the ACS, NotOnOrAfter and
InResponseTo, the AudienceRestriction, one use of each assertion). Cognito (developer guide,
"Using SAML identity providers with a user pool"; wave2-surface.md §1.9): the SP entity id is
`urn:amazon:cognito:sp:{userPoolId}`, the ACS `{domain}/saml2/idpresponse`; the AuthnRequest
is signed only when ProviderDetails has RequestSigningAlgorithm=rsa-sha256, with the pool's
signing certificate (GetSigningCertificate); a SAMLResponse has at most 100,000 characters;
an IdP-initiated (unsolicited) response is accepted only with IDPInit=true; with
EncryptedResponses=true the IdP encrypts assertions to the pool's certificate. The metadata is
MetadataFile or what MetadataURL serves (https, or http on loopback: SPEC), kept six hours.

pysaml2 does the XML work: it verifies the Response's or the Assertion's signature with xmlsec1
against every signing certificate of the IdP's metadata, then the checks above (with a
minute's clock skew); only the assertion it verified is read afterwards.
"""

from __future__ import annotations

import calendar
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import anyio
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.time_util import str_to_time
from saml2.xmldsig import SIG_RSA_SHA256

from cognate.context import Context
from cognate.domain.identity_provider import is_allowed_url
from cognate.domain.saml_metadata import IdpMetadata
from cognate.errors import InvalidParameterException
from cognate.federation.oidc import upstream_error
from cognate.idp.pools import create_signing_certificate
from cognate.idp.saml_metadata import provider_metadata
from cognate.store import federated_identities as identity_store
from cognate.store import keys as key_store
from cognate.store.identity_providers import IdentityProvider

SP_ENTITY_PREFIX: Final = "urn:amazon:cognito:sp:"
MAX_RESPONSE_CHARS: Final = 100_000
_SKEW_SECONDS: Final = 60
# However long an assertion claims to live, its id is remembered at least this long: pysaml2
# accepts a Response issued up to a day ago.
_REPLAY_SECONDS: Final = 86_400
_REPLAY_PURPOSE: Final = "saml-assertion"
_KEY_PURPOSE: Final = "saml"


def sp_entity_id(pool_id: str) -> str:
    """The pool's entity id as a service provider (the Audience its assertions must name)."""
    return f"{SP_ENTITY_PREFIX}{pool_id}"


def acs_url(ctx: Context) -> str:
    """The Assertion Consumer Service URL (SPEC: served at the public URL)."""
    return f"{ctx.base_url}/saml2/idpresponse"


def slo_url(ctx: Context) -> str:
    """Where IdPs send LogoutRequests and LogoutResponses (Cognito: `{domain}/saml2/logout`)."""
    return f"{ctx.base_url}/saml2/logout"


def request_id(nonce: str) -> str:
    """The AuthnRequest ID of the flight with `nonce` (an xsd:ID must not start with a digit)."""
    return f"_{nonce}"


def is_true(provider: IdentityProvider, flag: str) -> bool:
    """A ProviderDetails flag (IDPInit, EncryptedResponses, IDPSignout) is set."""
    return provider.details.get(flag, "false").lower() == "true"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceProvider:
    """The pool as service provider: its names and its key pair (PEM)."""

    entity_id: str
    acs: str
    slo: str
    key_pem: bytes
    cert_pem: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Assertion:
    """What a verified assertion says: its id and issuer, the subject's NameID (and its
    Format and the SessionIndex, which a LogoutRequest repeats), the attributes under the
    names the IdP gave them, and until when its id must stay spent."""

    id: str
    issuer: str
    name_id: str
    name_id_format: str | None
    session_index: str | None
    in_response_to: str | None
    attributes: dict[str, str | list[str]]
    remember_until: int


async def metadata(ctx: Context, provider: IdentityProvider) -> IdpMetadata:
    """The provider's metadata: MetadataFile, else MetadataURL's document (cached);
    OAuthError for the error page when it is not usable."""
    try:
        return await provider_metadata(ctx, provider.details)
    except InvalidParameterException as exc:
        raise upstream_error(exc.message or "the IdP metadata is not valid.") from exc


def _pem(certificate: str) -> bytes:
    lines = [certificate[start : start + 64] for start in range(0, len(certificate), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines)
            + "\n-----END CERTIFICATE-----\n").encode()  # fmt: skip


async def service_provider(ctx: Context, pool_id: str) -> ServiceProvider:
    """The pool as SP, with the key pair GetSigningCertificate shows (made on first use)."""
    async with ctx.store.read() as conn:
        pair = await key_store.current_key_pair(conn, pool_id, _KEY_PURPOSE)
    if pair is None:
        await create_signing_certificate(ctx, pool_id)
        async with ctx.store.read() as conn:
            pair = await key_store.current_key_pair(conn, pool_id, _KEY_PURPOSE)
    if pair is None:
        raise upstream_error("the pool has no signing certificate.")
    encrypted, certificate = pair
    return ServiceProvider(
        entity_id=sp_entity_id(pool_id), acs=acs_url(ctx), slo=slo_url(ctx),
        key_pem=ctx.secrets.decrypt(encrypted, "signing-key"), cert_pem=_pem(certificate),
    )  # fmt: skip


def sp_client(
    sp: ServiceProvider, idp: IdpMetadata, folder: Path, *, unsolicited: bool, decrypts: bool
) -> Saml2Client:
    """A pysaml2 SP for one exchange with `idp`, its keys written into `folder` (pysaml2
    reads keys from files only)."""
    key, cert = folder / "sp.key", folder / "sp.crt"
    key.write_bytes(sp.key_pem)
    cert.write_bytes(sp.cert_pem)
    config: dict[str, Any] = {
        "entityid": sp.entity_id,
        "service": {"sp": {
            "endpoints": {
                "assertion_consumer_service": [(sp.acs, BINDING_HTTP_POST)],
                "single_logout_service": [(sp.slo, BINDING_HTTP_REDIRECT),
                                          (sp.slo, BINDING_HTTP_POST)],
            },
            "want_response_signed": False,
            "want_assertions_signed": False,
            "want_assertions_or_response_signed": True,
            "allow_unsolicited": unsolicited,
        }},
        "metadata": {"inline": [idp.xml]},
        "key_file": str(key),
        "cert_file": str(cert),
        "accepted_time_diff": _SKEW_SECONDS,
        "allow_unknown_attributes": True,
    }  # fmt: skip
    if decrypts:
        config["encryption_keypairs"] = [{"key_file": str(key), "cert_file": str(cert)}]
    loaded = SPConfig()
    loaded.load(config)
    return Saml2Client(loaded)


def _request_location(
    sp: ServiceProvider, idp: IdpMetadata, *, relay_state: str, message_id: str, signs: bool
) -> str:
    with tempfile.TemporaryDirectory() as folder:
        client = sp_client(sp, idp, Path(folder), unsolicited=False, decrypts=False)
        _, info = client.prepare_for_authenticate(
            entityid=idp.entity_id, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT,
            sign=signs, sigalg=SIG_RSA_SHA256 if signs else None, message_id=message_id,
        )  # fmt: skip
    location = str(dict(info["headers"])["Location"])
    if not location.startswith(idp.sso_url) or not is_allowed_url(location):
        raise upstream_error("the IdP's endpoints must be https.")
    return location


async def authn_request_url(
    ctx: Context, pool_id: str, provider: IdentityProvider, *, relay_state: str, message_id: str
) -> str:
    """Where the browser goes: the IdP's SSO URL with a (signed, if asked) AuthnRequest."""
    idp = await metadata(ctx, provider)
    sp = await service_provider(ctx, pool_id)
    signs = provider.details.get("RequestSigningAlgorithm") == "rsa-sha256"
    return await anyio.to_thread.run_sync(
        lambda: _request_location(
            sp, idp, relay_state=relay_state, message_id=message_id, signs=signs
        )
    )


def _seconds(text: str | None) -> int | None:
    return calendar.timegm(str_to_time(text)) if text else None


def _expiries(assertion: Any) -> list[int]:
    found = [_seconds(getattr(assertion.conditions, "not_on_or_after", None))]
    for confirmation in getattr(assertion.subject, "subject_confirmation", None) or []:
        data = confirmation.subject_confirmation_data
        found.append(_seconds(getattr(data, "not_on_or_after", None)))
    return [value for value in found if value is not None]


def _attributes(assertion: Any) -> dict[str, str | list[str]]:
    attributes: dict[str, str | list[str]] = {}
    for statement in assertion.attribute_statement or []:
        for attribute in statement.attribute or []:
            values = [str(value.text) for value in attribute.attribute_value or []
                      if value.text is not None]  # fmt: skip
            if attribute.name and values:
                attributes[str(attribute.name)] = values[0] if len(values) == 1 else values
    return attributes


def _verified(
    sp: ServiceProvider, idp: IdpMetadata, saml_response: str, expected: str | None,
    *, decrypts: bool, now: int,
) -> Assertion:  # fmt: skip
    """The assertion of a valid Response answering `expected` (None: unsolicited)."""
    outstanding = {expected: sp.acs} if expected else {}
    with tempfile.TemporaryDirectory() as folder:
        client = sp_client(sp, idp, Path(folder), unsolicited=expected is None, decrypts=decrypts)
        try:
            response = client.parse_authn_request_response(
                saml_response, BINDING_HTTP_POST, outstanding=outstanding
            )
        except Exception as exc:  # pysaml2 refuses with many exception types, all alike here
            raise upstream_error("the SAML response is not valid.") from exc
    if response is None or response.assertion is None or response.name_id is None:
        raise upstream_error("the SAML response is not valid.")
    assertion = response.assertion
    answered = response.in_response_to or None
    if answered != expected or response.issuer() != idp.entity_id:
        raise upstream_error("the SAML response is not valid.")
    name_id = (response.name_id.text or "").strip()
    if not name_id or not assertion.id:
        raise upstream_error("the SAML response has no subject.")
    statements = assertion.authn_statement or []
    session_index = statements[0].session_index if statements else None
    return Assertion(
        id=str(assertion.id), issuer=idp.entity_id, name_id=name_id, in_response_to=answered,
        name_id_format=response.name_id.format or None, session_index=session_index or None,
        attributes=_attributes(assertion),
        remember_until=max([now + _REPLAY_SECONDS, *_expiries(assertion)]) + _SKEW_SECONDS,
    )  # fmt: skip


async def verified_assertion(
    ctx: Context,
    pool_id: str,
    provider: IdentityProvider,
    saml_response: str,
    *,
    expected: str | None,
) -> Assertion:
    """The assertion of `saml_response` if it is valid for this pool and provider, answers
    the request `expected` (None: IdP-initiated) and was never used before; else OAuthError."""
    if not saml_response or len(saml_response) > MAX_RESPONSE_CHARS:
        raise upstream_error("the SAML response is missing or too long.")
    idp = await metadata(ctx, provider)
    sp = await service_provider(ctx, pool_id)
    decrypts = is_true(provider, "EncryptedResponses")
    now = int(ctx.clock().timestamp())
    assertion = await anyio.to_thread.run_sync(
        lambda: _verified(sp, idp, saml_response, expected, decrypts=decrypts, now=now)
    )
    await _spend(ctx, assertion)
    return assertion


async def _spend(ctx: Context, assertion: Assertion) -> None:
    """Record the assertion as used, in the store every server shares; a replay is refused."""
    now = ctx.clock()
    key = ctx.secrets.keyed_hash(f"{assertion.issuer}\n{assertion.id}", _REPLAY_PURPOSE)
    until = datetime.fromtimestamp(assertion.remember_until, tz=now.tzinfo)
    async with ctx.store.begin() as conn:
        if not await identity_store.spend_state(conn, key, expires_at=until, now=now):
            raise upstream_error("the SAML assertion was already used.")


def attribute_event(assertion: Assertion) -> Mapping[str, Any]:
    """InboundFederation's `attributes` for SAML: `samlResponse`, the assertion's attributes."""
    return {"samlResponse": assertion.attributes}
