"""A SAML provider's ProviderDetails (wave2-surface.md §1.2): the metadata is checked when the
provider is created or updated, and Describe adds SSORedirectBindingURI, SLORedirectBindingURI
and, with EncryptedResponses, ActiveEncryptionCertificate."""

from __future__ import annotations

import re

import pytest

from tests.conftest import free_port
from tests.federation.conftest import Downstream
from tests.federation.saml_idp import SamlIdp
from tests.federation.test_saml_sign_in import idp

__all__ = ["idp"]  # the module-scoped IdP fixture


def _pool(downstream: Downstream) -> str:
    pool_id: str = downstream.client.create_user_pool(PoolName="saml-details")["UserPool"]["Id"]
    return pool_id


def _create(downstream: Downstream, pool_id: str, **details: str) -> dict[str, str]:
    provider = downstream.client.create_identity_provider(
        UserPoolId=pool_id, ProviderName="Corp", ProviderType="SAML", ProviderDetails=details
    )["IdentityProvider"]
    shown: dict[str, str] = provider["ProviderDetails"]
    return shown


def test_describe_adds_the_metadata_endpoints(idp: SamlIdp, downstream: Downstream) -> None:
    pool_id = _pool(downstream)
    created = _create(downstream, pool_id, MetadataFile=idp.metadata, IDPSignout="true")
    described = downstream.client.describe_identity_provider(
        UserPoolId=pool_id, ProviderName="Corp"
    )["IdentityProvider"]["ProviderDetails"]
    assert created == described
    assert described["SSORedirectBindingURI"] == f"{idp.url}/sso"
    assert described["SLORedirectBindingURI"] == f"{idp.url}/slo"
    assert "ActiveEncryptionCertificate" not in described
    # The read-only keys sent back (a Describe → Update round trip) are ignored, not stored.
    updated = downstream.client.update_identity_provider(
        UserPoolId=pool_id, ProviderName="Corp",
        ProviderDetails={**described, "SSORedirectBindingURI": "https://elsewhere.example/"},
    )["IdentityProvider"]["ProviderDetails"]  # fmt: skip
    assert updated["SSORedirectBindingURI"] == f"{idp.url}/sso"
    listed = downstream.client.list_identity_providers(UserPoolId=pool_id)["Providers"]
    assert [item["ProviderName"] for item in listed] == ["Corp"]


def test_metadata_url_is_read_at_create(idp: SamlIdp, downstream: Downstream) -> None:
    shown = _create(downstream, _pool(downstream), MetadataURL=f"{idp.url}/metadata")
    assert shown["SSORedirectBindingURI"] == f"{idp.url}/sso"


def test_encrypted_responses_show_the_encryption_certificate(
    idp: SamlIdp, downstream: Downstream
) -> None:
    client = downstream.client
    pool_id = _pool(downstream)
    shown = _create(downstream, pool_id, MetadataFile=idp.metadata, EncryptedResponses="true")
    certificate = client.get_signing_certificate(UserPoolId=pool_id)["Certificate"]
    assert shown["ActiveEncryptionCertificate"] == certificate
    assert "BEGIN" not in certificate
    off = client.update_identity_provider(
        UserPoolId=pool_id, ProviderName="Corp",
        ProviderDetails={"MetadataFile": idp.metadata, "EncryptedResponses": "false"},
    )["IdentityProvider"]["ProviderDetails"]  # fmt: skip
    assert "ActiveEncryptionCertificate" not in off


def _refused(downstream: Downstream, match: str, **details: str) -> None:
    client = downstream.client
    with pytest.raises(client.exceptions.InvalidParameterException, match=match):
        _create(downstream, _pool(downstream), **details)


def test_unusable_metadata_is_refused(idp: SamlIdp, downstream: Downstream) -> None:
    _refused(downstream, "not a metadata document", MetadataFile="<html>not metadata")
    empty = '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>'
    _refused(downstream, "no IDPSSODescriptor", MetadataFile=empty)
    unsigned = re.sub(r"<ns\d+:KeyDescriptor.*?</ns\d+:KeyDescriptor>", "", idp.metadata,
                      flags=re.DOTALL)  # fmt: skip
    assert unsigned != idp.metadata
    _refused(downstream, "no signing certificate", MetadataFile=unsigned)
    _refused(downstream, "Unable to fetch",
             MetadataURL=f"http://127.0.0.1:{free_port()}/metadata")  # fmt: skip


def test_update_checks_the_metadata_too(idp: SamlIdp, downstream: Downstream) -> None:
    client = downstream.client
    pool_id = _pool(downstream)
    _create(downstream, pool_id, MetadataFile=idp.metadata)
    with pytest.raises(client.exceptions.InvalidParameterException, match="metadata"):
        client.update_identity_provider(
            UserPoolId=pool_id, ProviderName="Corp", ProviderDetails={"MetadataFile": "<x/>"}
        )
