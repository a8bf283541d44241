"""AdminLinkProviderForUser naming a SAML identity by an assertion attribute (wave2-surface.md
§1.6): the first sign-in whose assertion carries the linked value lands on the native user, and
from then on the identity is linked by its NameID."""

from __future__ import annotations

import json
import uuid

from tests.federation.conftest import Downstream
from tests.federation.journey import claims
from tests.federation.saml_idp import EMAIL, SamlIdp
from tests.federation.test_saml_sign_in import (
    PROVIDER,
    SamlFederation,
    idp,
    make_saml_federation,
    sign_in,
)

__all__ = ["idp"]  # the module-scoped IdP fixture


def _native(fed: SamlFederation, email: str) -> str:
    username = f"carlos-{uuid.uuid4().hex[:6]}"
    fed.downstream.client.admin_create_user(
        UserPoolId=fed.pool_id, Username=username, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}],
    )  # fmt: skip
    return username


def _link(fed: SamlFederation, username: str, name: str, value: str) -> None:
    fed.downstream.client.admin_link_provider_for_user(
        UserPoolId=fed.pool_id,
        DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": username},
        SourceUser={"ProviderName": PROVIDER, "ProviderAttributeName": name,
                    "ProviderAttributeValue": value},
    )  # fmt: skip


def _identities(fed: SamlFederation, username: str) -> list[dict[str, object]]:
    user = fed.downstream.client.admin_get_user(UserPoolId=fed.pool_id, Username=username)
    found = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
    result: list[dict[str, object]] = json.loads(found.get("identities", "[]"))
    return result


def _federation(idp: SamlIdp, downstream: Downstream) -> tuple[SamlFederation, str]:
    email = f"carlos-{uuid.uuid4().hex[:6]}@corp.example"
    idp.name_id = f"c{uuid.uuid4().hex[:8]}"
    idp.attributes = {EMAIL: [email]}
    return make_saml_federation(idp, downstream), email


def test_sign_in_carrying_the_linked_attribute_lands_on_the_native_user(
    idp: SamlIdp, downstream: Downstream
) -> None:
    fed, email = _federation(idp, downstream)
    username = _native(fed, email)
    _link(fed, username, EMAIL, email)
    [pending] = _identities(fed, username)
    assert pending["userId"] == email
    assert pending["providerName"] == PROVIDER
    assert pending["primary"] is False
    native_sub = downstream.client.admin_get_user(UserPoolId=fed.pool_id, Username=username)
    first = claims(sign_in(fed)["id_token"])
    assert first["cognito:username"] == username
    [identity] = first["identities"]
    assert identity["userId"] == idp.name_id  # linked by NameID from now on
    assert identity["issuer"] == idp.entity_id
    assert _identities(fed, username)[0]["userId"] == idp.name_id
    # The next sign-in finds it by NameID, whatever the assertion's email says now.
    idp.attributes = {EMAIL: ["changed@corp.example"]}
    again = claims(sign_in(fed)["id_token"])
    assert again["sub"] == first["sub"]
    assert {item["Name"]: item["Value"] for item in native_sub["UserAttributes"]}["sub"] == (
        first["sub"]
    )
    [user] = downstream.client.list_users(UserPoolId=fed.pool_id)["Users"]
    assert user["Username"] == username


def test_another_value_signs_in_as_a_new_user(idp: SamlIdp, downstream: Downstream) -> None:
    fed, email = _federation(idp, downstream)
    username = _native(fed, email)
    _link(fed, username, EMAIL, "someone-else@corp.example")
    assert claims(sign_in(fed)["id_token"])["cognito:username"] == (
        f"{PROVIDER}_{idp.name_id}".lower()
    )
    assert _identities(fed, username)[0]["userId"] == "someone-else@corp.example"


def test_disabling_the_attribute_link_before_sign_in(idp: SamlIdp, downstream: Downstream) -> None:
    fed, email = _federation(idp, downstream)
    username = _native(fed, email)
    _link(fed, username, EMAIL, email)
    downstream.client.admin_disable_provider_for_user(
        UserPoolId=fed.pool_id,
        User={"ProviderName": PROVIDER, "ProviderAttributeName": EMAIL,
              "ProviderAttributeValue": email},
    )  # fmt: skip
    assert _identities(fed, username) == []
    assert claims(sign_in(fed)["id_token"])["cognito:username"] != username
