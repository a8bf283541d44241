"""A SAML IdP's metadata document: what CreateIdentityProvider accepts and what the user pool
reads from it.

Sources: SAML 2.0 Metadata §2.4.3 (IDPSSODescriptor: SingleSignOnService, SingleLogoutService,
KeyDescriptor use="signing" or no use); developer guide, "Adding SAML identity providers to a
user pool" (the metadata must name the IdP's HTTP-Redirect SSO endpoint and its signing
certificate; Describe adds SSORedirectBindingURI and SLORedirectBindingURI, read from it).
SPEC.md: endpoints are https except on loopback. A document listing several entities is
accepted when exactly one of them is an IdP.

Pure: pysaml2's schema classes parse the XML (defusedxml underneath); no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from saml2 import BINDING_HTTP_REDIRECT
from saml2.md import entities_descriptor_from_string, entity_descriptor_from_string

from cognate.domain.identity_provider import SLO_URI_KEY, SSO_URI_KEY, is_allowed_url
from cognate.errors import InvalidParameterException

_BAD: Final = "Unable to parse the metadata of the SAML provider: "


@dataclass(frozen=True, slots=True, kw_only=True)
class IdpMetadata:
    """An IdP's metadata document and what the pool uses from it. `slo_url` is where
    LogoutRequests go (HTTP-Redirect), `slo_response_url` where LogoutResponses go."""

    xml: str
    entity_id: str
    sso_url: str
    slo_url: str | None
    slo_response_url: str | None


def _entity(xml: str) -> Any:
    try:
        entity = entity_descriptor_from_string(xml)
        if entity is None:
            entities = entities_descriptor_from_string(xml)
            found = [item for item in entities.entity_descriptor if item.idpsso_descriptor]
            entity = found[0] if len(found) == 1 else None
    except Exception as exc:  # pysaml2's XML parser raises many types for a bad document
        raise InvalidParameterException(_BAD + "it is not a metadata document.") from exc
    if entity is None or not entity.entity_id or not entity.idpsso_descriptor:
        raise InvalidParameterException(_BAD + "it has no IDPSSODescriptor.")
    return entity


def _services(descriptors: Any, kind: str, binding: str) -> list[Any]:
    return [
        service
        for descriptor in descriptors
        for service in getattr(descriptor, kind) or []
        if service.binding == binding and service.location
    ]


def _has_signing_certificate(descriptors: Any) -> bool:
    return any(
        key.use in (None, "", "signing")
        and key.key_info is not None
        and any(data.x509_certificate for data in key.key_info.x509_data or [])
        for descriptor in descriptors
        for key in descriptor.key_descriptor or []
    )


def parse_metadata(xml: str) -> IdpMetadata:
    """The IdP described by `xml`; InvalidParameterException if it is not usable: not
    metadata, no IDPSSODescriptor, no signing certificate, no HTTP-Redirect SSO endpoint, or
    an endpoint that is not https."""
    entity = _entity(xml)
    descriptors = entity.idpsso_descriptor
    if not _has_signing_certificate(descriptors):
        raise InvalidParameterException(_BAD + "the IDPSSODescriptor has no signing certificate.")
    sso = _services(descriptors, "single_sign_on_service", BINDING_HTTP_REDIRECT)
    if not sso:
        raise InvalidParameterException(_BAD + "it has no HTTP-Redirect SingleSignOnService.")
    slo = _services(descriptors, "single_logout_service", BINDING_HTTP_REDIRECT)
    slo_url = str(slo[0].location) if slo else None
    slo_response_url = str(slo[0].response_location or slo[0].location) if slo else None
    for url in (sso[0].location, slo_url, slo_response_url):
        if url is not None and not is_allowed_url(url):
            raise InvalidParameterException(_BAD + f"the endpoint {url} is not https.")
    return IdpMetadata(
        xml=xml, entity_id=str(entity.entity_id), sso_url=str(sso[0].location),
        slo_url=slo_url, slo_response_url=slo_response_url,
    )  # fmt: skip


def described_keys(metadata: IdpMetadata) -> dict[str, str]:
    """The ProviderDetails Cognito reads from the metadata (SLO only when the IdP has one)."""
    keys = {SSO_URI_KEY: metadata.sso_url}
    if metadata.slo_url is not None:
        keys[SLO_URI_KEY] = metadata.slo_url
    return keys
