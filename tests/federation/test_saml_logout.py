"""SAML Single Logout (wave2-surface.md §1.9, cognito-surface.md §6): with IDPSignout=true,
/logout sends a signed LogoutRequest to the IdP's SLO endpoint, the IdP's LogoutResponse comes
back to /saml2/logout, and only then does the browser go to the logout_uri; an IdP-initiated
LogoutRequest ends the session too and gets a LogoutResponse."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from tests.federation.conftest import Downstream
from tests.federation.saml_idp import EMAIL, SamlIdp
from tests.federation.test_saml_sign_in import (
    PROVIDER,
    SamlFederation,
    code_of,
    idp,
    make_saml_federation,
    post,
    through_idp,
    to_idp,
)
from tests.oauth.flows import CALLBACK, query_of

__all__ = ["idp"]  # the module-scoped IdP fixture

BYE = "https://app.example/bye"


def _federation(idp: SamlIdp, downstream: Downstream, *, signs_out: bool) -> SamlFederation:
    idp.name_id = f"slo-{uuid.uuid4().hex[:6]}"
    idp.attributes = {EMAIL: [f"{idp.name_id}@corp.example"]}
    idp.sign_logout_responses = True
    fed = (
        make_saml_federation(idp, downstream, IDPSignout="true")
        if signs_out
        else make_saml_federation(idp, downstream)
    )
    downstream.client.update_user_pool_client(
        UserPoolId=fed.pool_id, ClientId=fed.client_id, AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"], AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=[CALLBACK], LogoutURLs=[BYE], SupportedIdentityProviders=["COGNITO", PROVIDER],
    )  # fmt: skip
    return fed


def _signed_in(http: httpx.Client, fed: SamlFederation) -> None:
    code_of(post(http, fed, through_idp(http, to_idp(http, fed))))
    assert http.cookies.get(f"cognate-sso-{fed.pool_id}")
    assert http.cookies.get(f"cognate-saml-{fed.pool_id}")


def _logout(http: httpx.Client, fed: SamlFederation) -> httpx.Response:
    query = urlencode({"client_id": fed.client_id, "logout_uri": BYE})
    return http.get(f"{fed.downstream.url}/logout?{query}")


def _has_session(http: httpx.Client, fed: SamlFederation) -> bool:
    params = {**fed.authorize_params(), "identity_provider": "COGNITO"}
    answer = http.get(f"{fed.downstream.url}/oauth2/authorize?{urlencode(params)}")
    return bool(answer.headers["location"].startswith(CALLBACK))


@pytest.fixture
def slo(idp: SamlIdp, downstream: Downstream) -> SamlFederation:
    return _federation(idp, downstream, signs_out=True)


def test_logout_goes_through_the_idp_and_ends_at_the_logout_uri(slo: SamlFederation) -> None:
    with httpx.Client() as http:
        _signed_in(http, slo)
        assert _has_session(http, slo)
        to_slo = _logout(http, slo)
        assert to_slo.status_code == 302, to_slo.text
        location = to_slo.headers["location"]
        assert location.startswith(f"{slo.idp.url}/slo?")
        assert set(query_of(location)) == {"SAMLRequest", "RelayState", "SigAlg", "Signature"}
        back = http.get(location)  # the IdP checks the signature and answers
        assert back.status_code == 302, back.text
        logout = slo.idp.logouts[-1]
        assert logout.is_signed
        assert logout.issuer == slo.sp_entity_id
        assert logout.name_id == slo.idp.name_id
        assert logout.session_indexes  # the sign-in's SessionIndex
        assert back.headers["location"].startswith(f"{slo.downstream.url}/saml2/logout?")
        done = http.get(back.headers["location"])
        assert done.status_code == 302, done.text
        assert done.headers["location"] == BYE
        assert not _has_session(http, slo)
        # The same LogoutResponse again: refused.
        again = http.get(back.headers["location"])
        assert again.status_code == 400


def test_unsigned_logout_response_is_refused(slo: SamlFederation) -> None:
    slo.idp.sign_logout_responses = False
    with httpx.Client() as http:
        _signed_in(http, slo)
        back = http.get(_logout(http, slo).headers["location"])
        answer = http.get(back.headers["location"])
    assert answer.status_code == 400
    assert "location" not in answer.headers


def test_without_idp_signout_logout_stays_local(idp: SamlIdp, downstream: Downstream) -> None:
    fed = _federation(idp, downstream, signs_out=False)
    with httpx.Client() as http:
        _signed_in(http, fed)
        answer = _logout(http, fed)
        assert answer.headers["location"] == BYE
        assert not _has_session(http, fed)


def test_unregistered_logout_uri_never_reaches_the_idp(slo: SamlFederation) -> None:
    with httpx.Client() as http:
        _signed_in(http, slo)
        query = urlencode({"client_id": slo.client_id, "logout_uri": "https://evil.example/"})
        answer = http.get(f"{slo.downstream.url}/logout?{query}")
    assert answer.status_code == 400
    assert "location" not in answer.headers


def test_idp_initiated_logout_ends_the_session_and_is_answered(slo: SamlFederation) -> None:
    slo_url = f"{slo.downstream.url}/saml2/logout"
    with httpx.Client() as http:
        _signed_in(http, slo)
        unsigned = slo.idp.logout_request(
            slo.sp_entity_id, slo_url, name_id=slo.idp.name_id, sign=False
        )
        assert http.get(unsigned).status_code == 400
        assert _has_session(http, slo)
        request = slo.idp.logout_request(slo.sp_entity_id, slo_url, name_id=slo.idp.name_id)
        answer = http.get(request)
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        assert location.startswith(f"{slo.idp.url}/slo?SAMLResponse=")
        response = slo.idp.read_logout_answer(urlsplit(location).query)
        assert response.status.status_code.value.endswith(":Success")
        assert response.issuer.text == slo.sp_entity_id
        assert not _has_session(http, slo)
