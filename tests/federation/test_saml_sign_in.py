"""SAML 2.0 sign-in with the user pool as service provider (wave2-surface.md §1.9): the browser
goes from /oauth2/authorize to a pysaml2 IdP (HTTP-Redirect binding), which posts a signed
Response to /saml2/idpresponse; the app gets a code and exchanges it for tokens. Every refused
Response ends on the hosted UI's error page, never on a redirect."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from tests.conftest import free_port
from tests.federation.conftest import ARN, Downstream
from tests.federation.journey import attributes, claims, tokens_for
from tests.federation.saml_idp import EMAIL, GROUPS, NAME, SamlIdp, form_fields, serve
from tests.oauth.flows import CALLBACK, query_of

PROVIDER = "Corp"


def _idp(folder: Path) -> Iterator[SamlIdp]:
    idp = SamlIdp(url=f"http://localhost:{free_port()}", folder=folder)
    idp.start_server()
    yield from serve(idp)


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    yield from _idp(tmp_path_factory.mktemp("saml-idp"))


@pytest.fixture(scope="module")
def other_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdp]:
    yield from _idp(tmp_path_factory.mktemp("saml-other-idp"))


@dataclass
class SamlFederation:
    """A pool with SAML provider `Corp` (the test IdP) enabled on a web client."""

    idp: SamlIdp
    downstream: Downstream
    pool_id: str
    client_id: str

    @property
    def sp_entity_id(self) -> str:
        return f"urn:amazon:cognito:sp:{self.pool_id}"

    @property
    def acs(self) -> str:
        return f"{self.downstream.url}/saml2/idpresponse"

    def authorize_params(self, provider: str = PROVIDER) -> dict[str, str]:
        return {
            "response_type": "code", "client_id": self.client_id, "redirect_uri": CALLBACK,
            "scope": "openid email profile", "state": "app-state", "identity_provider": provider,
        }  # fmt: skip

    def authorize_url(self, provider: str = PROVIDER) -> str:
        return (
            f"{self.downstream.url}/oauth2/authorize?{urlencode(self.authorize_params(provider))}"
        )

    def response(self, **options: Any) -> str:
        """A Response from the IdP for this pool, as the form value."""
        return self.idp.response(sp_entity_id=self.sp_entity_id, acs=self.acs, **options)


def add_provider(
    fed: SamlFederation, idp: SamlIdp, name: str, *, by_url: bool = False, **details: str
) -> None:
    source = {"MetadataURL": f"{idp.url}/metadata"} if by_url else {"MetadataFile": idp.metadata}
    fed.downstream.client.create_identity_provider(
        UserPoolId=fed.pool_id, ProviderName=name, ProviderType="SAML",
        ProviderDetails={**source, **details},
        AttributeMapping={"email": EMAIL, "name": NAME, "custom:groups": GROUPS},
    )  # fmt: skip


def make_saml_federation(
    idp: SamlIdp,
    downstream: Downstream,
    *,
    lambda_config: dict[str, Any] | None = None,
    by_url: bool = False,
    signs_requests: bool = True,
    **details: str,
) -> SamlFederation:
    client = downstream.client
    pool_id = client.create_user_pool(
        PoolName=f"saml-{uuid.uuid4().hex[:8]}", LambdaConfig=lambda_config or {},
        Schema=[{"Name": "groups", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]  # fmt: skip
    certificate = client.get_signing_certificate(UserPoolId=pool_id)["Certificate"]
    acs = f"{downstream.url}/saml2/idpresponse"
    idp.register_sp(f"urn:amazon:cognito:sp:{pool_id}", acs, certificate)
    fed = SamlFederation(idp=idp, downstream=downstream, pool_id=pool_id, client_id="")
    if signs_requests:
        details = {"RequestSigningAlgorithm": "rsa-sha256", **details}
    add_provider(fed, idp, PROVIDER, by_url=by_url, **details)
    fed.client_id = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=[CALLBACK], SupportedIdentityProviders=["COGNITO", PROVIDER],
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    return fed


@pytest.fixture
def saml(idp: SamlIdp, downstream: Downstream) -> SamlFederation:
    idp.name_id = f"jane-{uuid.uuid4().hex[:6]}"
    idp.attributes = {
        EMAIL: [f"{idp.name_id}@corp.example"],
        NAME: ["Jane Doe"],
        GROUPS: ["staff", "R&D"],
    }
    return make_saml_federation(idp, downstream)


def to_idp(http: httpx.Client, fed: SamlFederation, provider: str = PROVIDER) -> str:
    """Authorize → the 302 to the IdP's SSO URL (Redirect binding)."""
    first = http.get(fed.authorize_url(provider))
    assert first.status_code == 302, first.text
    location: str = first.headers["location"]
    return location


def through_idp(http: httpx.Client, location: str) -> dict[str, str]:
    """The IdP's auto-post form's fields (SAMLResponse, RelayState)."""
    page = http.get(location)
    assert page.status_code == 200, page.text
    _action, fields = form_fields(page.text)
    return fields


def post(http: httpx.Client, fed: SamlFederation, fields: dict[str, str]) -> httpx.Response:
    return http.post(fed.acs, data=fields)


def code_of(answer: httpx.Response) -> str:
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?"), location
    params = query_of(location)
    assert params["state"] == "app-state"
    return params["code"]


def refused(answer: httpx.Response) -> str:
    assert answer.status_code in (400, 403), answer.text
    assert "location" not in answer.headers
    assert "Something went wrong" in answer.text
    return answer.text


def sign_in(fed: SamlFederation) -> dict[str, Any]:
    with httpx.Client() as http:
        fields = through_idp(http, to_idp(http, fed))
        return tokens_for(fed, code_of(post(http, fed, fields)))  # type: ignore[arg-type]


def no_users(fed: SamlFederation) -> None:
    assert fed.downstream.client.list_users(UserPoolId=fed.pool_id)["Users"] == []


def test_authn_request_is_signed_redirect_with_sealed_relay_state(saml: SamlFederation) -> None:
    with httpx.Client() as http:
        location = to_idp(http, saml)
        assert location.startswith(f"{saml.idp.url}/sso?")
        query = query_of(location)
        assert set(query) == {"SAMLRequest", "RelayState", "SigAlg", "Signature"}
        request = saml.idp.receive(urlsplit(location).query)  # signature checked there
    assert request.is_signed
    assert request.issuer == saml.sp_entity_id
    assert request.acs == saml.acs
    assert request.id.startswith("_")
    assert len(request.relay_state) > 80  # the sealed state, opaque


def test_unsigned_request_when_not_asked(idp: SamlIdp, downstream: Downstream) -> None:
    fed = make_saml_federation(idp, downstream, signs_requests=False)
    with httpx.Client() as http:
        location = to_idp(http, fed)
    assert "Signature" not in query_of(location)


def test_first_sign_in_creates_the_user_and_the_second_reuses_it(saml: SamlFederation) -> None:
    tokens = sign_in(saml)
    id_claims = claims(tokens["id_token"])
    username = f"{PROVIDER}_{saml.idp.name_id}".lower()
    assert id_claims["cognito:username"] == username
    assert id_claims["email"] == f"{saml.idp.name_id}@corp.example"
    assert id_claims["name"] == "Jane Doe"
    [identity] = id_claims["identities"]
    assert identity["providerName"] == PROVIDER
    assert identity["providerType"] == "SAML"
    assert identity["userId"] == saml.idp.name_id
    assert identity["issuer"] == saml.idp.entity_id
    assert f"{saml.pool_id}_{PROVIDER}" in claims(tokens["access_token"])["cognito:groups"]
    user, attrs = attributes(saml, username)  # type: ignore[arg-type]
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"
    assert attrs["custom:groups"] == "[staff, R%26D]"

    saml.idp.attributes[NAME] = ["Jane Q. Doe"]
    again = claims(sign_in(saml)["id_token"])
    assert again["sub"] == id_claims["sub"]
    assert again["name"] == "Jane Q. Doe"
    assert len(saml.downstream.client.list_users(UserPoolId=saml.pool_id)["Users"]) == 1


def test_metadata_url_is_fetched(idp: SamlIdp, downstream: Downstream) -> None:
    idp.name_id = f"url-{uuid.uuid4().hex[:6]}"
    idp.attributes = {EMAIL: [f"{idp.name_id}@corp.example"]}
    fed = make_saml_federation(idp, downstream, by_url=True)
    assert claims(sign_in(fed)["id_token"])["email"] == f"{idp.name_id}@corp.example"


def test_tampered_signature_is_refused(saml: SamlFederation) -> None:
    with httpx.Client() as http:
        fields = through_idp(http, to_idp(http, saml))
        xml = base64.b64decode(fields["SAMLResponse"]).decode()
        forged = xml.replace(f"{saml.idp.name_id}@corp.example", "eve@corp.example")
        assert forged != xml
        fields["SAMLResponse"] = base64.b64encode(forged.encode()).decode()
        refused(post(http, saml, fields))
    no_users(saml)


def _answer(http: httpx.Client, fed: SamlFederation, **options: Any) -> httpx.Response:
    """Start a sign-in, and post the IdP's Response made with `options` instead of its own."""
    location = to_idp(http, fed)
    request = fed.idp.receive(urlsplit(location).query)
    made = {"in_response_to": request.id, "sp_entity_id": fed.sp_entity_id, "acs": fed.acs}
    saml_response = fed.idp.response(**{**made, **options})
    return post(http, fed, {"SAMLResponse": saml_response, "RelayState": request.relay_state})


def test_wrong_audience_is_refused(saml: SamlFederation) -> None:
    other = "urn:amazon:cognito:sp:us-east-1_someoneelse"
    saml.idp.register_sp(other, saml.acs, _certificate(saml))
    with httpx.Client() as http:
        refused(_answer(http, saml, sp_entity_id=other))
    no_users(saml)


def _certificate(fed: SamlFederation) -> str:
    result: str = fed.downstream.client.get_signing_certificate(UserPoolId=fed.pool_id)[
        "Certificate"
    ]
    return result


def test_wrong_destination_is_refused(saml: SamlFederation) -> None:
    with httpx.Client() as http:
        refused(_answer(http, saml, acs="https://elsewhere.example/saml2/idpresponse"))
    no_users(saml)


def test_expired_assertion_is_refused(saml: SamlFederation) -> None:
    with httpx.Client() as http:
        refused(_answer(http, saml, lifetime_minutes=-10))
    no_users(saml)


def test_replayed_assertion_is_refused(saml: SamlFederation) -> None:
    with httpx.Client() as http:
        fields = through_idp(http, to_idp(http, saml))
        code_of(post(http, saml, fields))
        refused(post(http, saml, fields))
        # The same assertion with a fresh sign-in's state: InResponseTo no longer matches.
        fresh = query_of(to_idp(http, saml))["RelayState"]
        refused(post(http, saml, {**fields, "RelayState": fresh}))


def test_unsolicited_response_is_refused_without_idp_init(saml: SamlFederation) -> None:
    saml_response = saml.response(in_response_to=None)
    with httpx.Client() as http:
        # Neither with the authorize parameters as RelayState...
        relay_state = urlencode(saml.authorize_params())
        text = refused(post(http, saml, {"SAMLResponse": saml_response,
                                         "RelayState": relay_state}))  # fmt: skip
        assert "IDPInit" in text
        # ...nor with a real sign-in's state.
        state = query_of(to_idp(http, saml))["RelayState"]
        refused(post(http, saml, {"SAMLResponse": saml_response, "RelayState": state}))
    no_users(saml)


def test_response_from_another_provider_is_refused(
    saml: SamlFederation, other_idp: SamlIdp
) -> None:
    other_idp.register_sp(saml.sp_entity_id, saml.acs, _certificate(saml))
    other_idp.name_id = saml.idp.name_id
    add_provider(saml, other_idp, "Other")
    saml.downstream.client.update_user_pool_client(
        UserPoolId=saml.pool_id, ClientId=saml.client_id, AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=[CALLBACK], SupportedIdentityProviders=["COGNITO", PROVIDER, "Other"],
    )  # fmt: skip
    with httpx.Client() as http:
        location = to_idp(http, saml)  # a sign-in through Corp...
        request = saml.idp.receive(urlsplit(location).query)
        forged = other_idp.response(  # ...answered by Other's IdP
            in_response_to=request.id, sp_entity_id=saml.sp_entity_id, acs=saml.acs
        )
        refused(post(http, saml, {"SAMLResponse": forged, "RelayState": request.relay_state}))
    no_users(saml)


def test_state_from_another_browser_is_refused(saml: SamlFederation) -> None:
    with httpx.Client() as http:
        fields = through_idp(http, to_idp(http, saml))
    with httpx.Client() as other:
        refused(post(other, saml, fields))
    no_users(saml)


def test_idp_initiated_sign_in_with_idp_init(idp: SamlIdp, downstream: Downstream) -> None:
    idp.name_id = f"init-{uuid.uuid4().hex[:6]}"
    idp.attributes = {EMAIL: [f"{idp.name_id}@corp.example"]}
    fed = make_saml_federation(idp, downstream, IDPInit="true")
    fields = {
        "SAMLResponse": fed.response(in_response_to=None),
        "RelayState": urlencode(fed.authorize_params()),
    }
    with httpx.Client() as http:
        code = code_of(post(http, fed, fields))
        refused(post(http, fed, fields))  # the same assertion again
    tokens = tokens_for(fed, code)  # type: ignore[arg-type]
    assert claims(tokens["id_token"])["cognito:username"] == f"corp_{idp.name_id}"
    # Unsolicited, but without the authorize parameters: refused.
    with httpx.Client() as http:
        refused(post(http, fed, {"SAMLResponse": fed.response(in_response_to=None)}))


def test_triggers_see_a_saml_sign_in(idp: SamlIdp, downstream: Downstream) -> None:
    idp.name_id = f"trig-{uuid.uuid4().hex[:6]}"
    idp.attributes = {EMAIL: [f"{idp.name_id}@corp.example"], NAME: ["Jane"]}
    recorder = ARN + "recorder"
    fed = make_saml_federation(idp, downstream, lambda_config={
        "PreSignUp": recorder, "PostAuthentication": recorder,
        "InboundFederation": {"LambdaArn": recorder, "LambdaVersion": "V1_0"},
    })  # fmt: skip
    downstream.forget_events()
    sign_in(fed)
    inbound = downstream.event("InboundFederation_ExternalProvider")
    assert inbound["request"]["providerType"] == "SAML"
    assert inbound["request"]["providerName"] == PROVIDER
    assert inbound["request"]["attributes"]["samlResponse"][EMAIL] == f"{idp.name_id}@corp.example"
    pre = downstream.event("PreSignUp_ExternalProvider")
    assert pre["userName"] == f"corp_{idp.name_id}"
    assert pre["request"]["userAttributes"]["email"] == f"{idp.name_id}@corp.example"
    post_auth = downstream.event("PostAuthentication_Authentication")
    assert post_auth["userName"] == f"corp_{idp.name_id}"
    downstream.forget_events()
    sign_in(fed)
    assert not (downstream.functions / "PreSignUp_ExternalProvider.json").exists()
    assert json.loads((downstream.functions / "InboundFederation_ExternalProvider.json")
                      .read_text())["request"]["providerType"] == "SAML"  # fmt: skip


def test_plain_http_metadata_url_off_loopback_is_refused(downstream: Downstream) -> None:
    client = downstream.client
    pool_id = client.create_user_pool(PoolName="saml-http")["UserPool"]["Id"]
    with pytest.raises(client.exceptions.InvalidParameterException):
        client.create_identity_provider(
            UserPoolId=pool_id, ProviderName="Corp", ProviderType="SAML",
            ProviderDetails={"MetadataURL": "http://idp.example/metadata"},
        )  # fmt: skip


def test_encrypted_assertion_with_encrypted_responses(idp: SamlIdp, downstream: Downstream) -> None:
    idp.name_id = f"enc-{uuid.uuid4().hex[:6]}"
    idp.attributes = {EMAIL: [f"{idp.name_id}@corp.example"]}
    fed = make_saml_federation(idp, downstream, EncryptedResponses="true")
    certificate = _certificate(fed)
    with httpx.Client() as http:
        location = to_idp(http, fed)
        request = idp.receive(urlsplit(location).query)
        encrypted = fed.response(in_response_to=request.id, encrypt_to=certificate)
        assert "EncryptedAssertion" in base64.b64decode(encrypted).decode()
        answer = post(http, fed, {"SAMLResponse": encrypted, "RelayState": request.relay_state})
        tokens = tokens_for(fed, code_of(answer))  # type: ignore[arg-type]
    assert claims(tokens["id_token"])["email"] == f"{idp.name_id}@corp.example"
