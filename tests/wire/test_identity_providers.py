"""Identity providers over the wire with boto3: CRUD per type, errors, paging, app clients."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import asyncpg
import pytest

from tests.conftest import RunningServer
from tests.federation.saml_idp import static_metadata

GOOGLE = {"client_id": "g-id", "client_secret": "g-secret", "authorize_scopes": "openid email"}
OIDC = {
    "client_id": "o-id",
    "client_secret": "o-secret-value",
    "authorize_scopes": "openid email profile",
    "oidc_issuer": "https://issuer.example.com",
    "attributes_request_method": "GET",
}
APPLE = {
    "client_id": "com.example.web",
    "team_id": "TEAM123456",
    "key_id": "KEY1234567",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIGT\n-----END PRIVATE KEY-----",
    "authorize_scopes": "email name",
}
IDP_URL = "https://idp.example.com"
SAML = {"MetadataFile": static_metadata(f"{IDP_URL}/idp", IDP_URL), "IDPSignout": "true"}
# Read from the metadata, added by Describe (wave2-surface.md §1.2).
SAML_ENDPOINTS = {
    "SSORedirectBindingURI": f"{IDP_URL}/sso",
    "SLORedirectBindingURI": f"{IDP_URL}/slo",
}


def error_of(exc_info: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    error = exc_info.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def create(
    idp_client: Any, pool_id: str, name: str, kind: str, details: dict[str, str], **extra: Any
) -> dict[str, Any]:
    result: dict[str, Any] = idp_client.create_identity_provider(
        UserPoolId=pool_id, ProviderName=name, ProviderType=kind, ProviderDetails=details, **extra
    )["IdentityProvider"]
    return result


def test_google_round_trip(idp_client: Any, pool_id: str) -> None:
    created = create(
        idp_client, pool_id, "Google", "Google", GOOGLE, AttributeMapping={"email": "email"}
    )
    assert created["UserPoolId"] == pool_id
    assert created["ProviderType"] == "Google"
    details = created["ProviderDetails"]
    assert details["client_secret"] == "g-secret"
    assert details["authorize_url"] == "https://accounts.google.com/o/oauth2/v2/auth"
    assert details["oidc_issuer"] == "https://accounts.google.com"
    assert created["AttributeMapping"] == {"email": "email", "username": "sub"}
    assert created["IdpIdentifiers"] == []
    described = idp_client.describe_identity_provider(UserPoolId=pool_id, ProviderName="Google")
    assert described["IdentityProvider"] == created


def test_facebook_and_amazon_fill_endpoints(idp_client: Any, pool_id: str) -> None:
    facebook = create(
        idp_client, pool_id, "Facebook", "Facebook", {**GOOGLE, "api_version": "v18.0"}
    )["ProviderDetails"]
    assert facebook["authorize_url"] == "https://www.facebook.com/v18.0/dialog/oauth"
    assert facebook["token_request_method"] == "GET"
    amazon = create(idp_client, pool_id, "LoginWithAmazon", "LoginWithAmazon", GOOGLE)
    assert amazon["ProviderDetails"]["token_url"] == "https://api.amazon.com/auth/o2/token"
    assert amazon["AttributeMapping"] == {"username": "user_id"}


def test_apple_private_key_is_kept_but_not_shown(idp_client: Any, pool_id: str) -> None:
    created = create(idp_client, pool_id, "SignInWithApple", "SignInWithApple", APPLE)
    assert "private_key" not in created["ProviderDetails"]
    assert created["ProviderDetails"]["team_id"] == "TEAM123456"
    # An update without the key keeps it (a client cannot resend what Describe hides).
    partial = {key: value for key, value in APPLE.items() if key != "private_key"}
    updated = idp_client.update_identity_provider(
        UserPoolId=pool_id,
        ProviderName="SignInWithApple",
        ProviderDetails={**partial, "authorize_scopes": "email"},
    )["IdentityProvider"]
    assert updated["ProviderDetails"]["authorize_scopes"] == "email"


def test_oidc_round_trip_and_update(idp_client: Any, pool_id: str) -> None:
    created = create(
        idp_client,
        pool_id,
        "Corp",
        "OIDC",
        OIDC,
        AttributeMapping={"email": "mail", "username": "sub"},
        IdpIdentifiers=["corp.example.com"],
    )
    assert created["ProviderDetails"]["client_secret"] == "o-secret-value"
    assert created["ProviderDetails"]["attributes_url_add_attributes"] == "false"
    assert created["IdpIdentifiers"] == ["corp.example.com"]
    updated = idp_client.update_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Corp",
        AttributeMapping={"email": "email", "name": "name"},
        IdpIdentifiers=["corp2.example.com"],
    )["IdentityProvider"]
    assert updated["ProviderDetails"] == created["ProviderDetails"]
    assert updated["AttributeMapping"] == {"email": "email", "name": "name", "username": "sub"}
    assert updated["IdpIdentifiers"] == ["corp2.example.com"]
    assert updated["CreationDate"] == created["CreationDate"]
    assert updated["LastModifiedDate"] >= created["LastModifiedDate"]
    described = idp_client.describe_identity_provider(UserPoolId=pool_id, ProviderName="Corp")
    assert described["IdentityProvider"] == updated


def test_oidc_loopback_http_is_allowed(idp_client: Any, pool_id: str) -> None:
    details = {**OIDC, "oidc_issuer": "http://127.0.0.1:9000", "jwks_uri": "http://localhost/k"}
    created = create(idp_client, pool_id, "Local", "OIDC", details)
    assert created["ProviderDetails"]["oidc_issuer"] == "http://127.0.0.1:9000"


def test_saml_round_trip(idp_client: Any, pool_id: str) -> None:
    created = create(
        idp_client, pool_id, "Okta", "SAML", SAML, AttributeMapping={"email": "urn:mail"}
    )
    assert created["ProviderDetails"] == {**SAML, **SAML_ENDPOINTS}
    assert created["AttributeMapping"] == {"email": "urn:mail"}
    other = static_metadata("https://adfs.example.com/idp", "https://adfs.example.com")
    file_based = {"MetadataFile": other, "IDPInit": "false"}
    assert create(idp_client, pool_id, "Adfs", "SAML", file_based)["ProviderDetails"] == {
        **file_based,
        "SSORedirectBindingURI": "https://adfs.example.com/sso",
        "SLORedirectBindingURI": "https://adfs.example.com/slo",
    }


@pytest.mark.parametrize(
    ("name", "kind", "details", "extra", "message"),
    [
        ("Google", "Google", {"client_id": "x"}, {}, "client_secret, authorize_scopes"),
        ("MyGoogle", "Google", GOOGLE, {}, "Provider MyGoogle cannot be of type Google."),
        ("SignInWithApple", "SignInWithApple", {**APPLE, "team_id": ""}, {}, "team_id"),
        ("Corp", "OIDC", {**OIDC, "oidc_issuer": "http://issuer.example.com"}, {}, "https"),
        ("Corp", "OIDC", {**OIDC, "attributes_request_method": "PUT"}, {}, "GET or POST"),
        ("Corp", "OIDC", {**OIDC, "authorize_scopes": "email"}, {}, "openid"),
        ("Corp", "OIDC", {k: v for k, v in OIDC.items() if k != "oidc_issuer"}, {}, "oidc_issuer"),
        ("Okta", "SAML", {"IDPSignout": "true"}, {}, "MetadataURL or MetadataFile"),
        (
            "Okta",
            "SAML",
            {**SAML, "MetadataURL": f"{IDP_URL}/m"},
            {},
            "MetadataURL or MetadataFile",
        ),
        ("Okta", "SAML", {"MetadataURL": "http://idp.example.com/m"}, {}, "https"),
        ("Okta", "SAML", {**SAML, "IDPInit": "yes"}, {}, "IDPInit"),
        (
            "Okta",
            "SAML",
            SAML,
            {"AttributeMapping": {"custom:nope": "x"}},
            "AttributeMapping contains invalid mapping: [custom:nope]",
        ),
        ("COGNITO", "SAML", SAML, {}, "reserved"),
    ],
)
def test_invalid_parameters(
    idp_client: Any,
    pool_id: str,
    name: str,
    kind: str,
    details: dict[str, str],
    extra: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException) as exc_info:
        create(idp_client, pool_id, name, kind, details, **extra)
    assert message in error_of(exc_info)[1]


def test_custom_attribute_mapping(idp_client: Any) -> None:
    pool_id = idp_client.create_user_pool(
        PoolName="custom-map",
        Schema=[{"Name": "dept", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    created = create(
        idp_client, pool_id, "Okta", "SAML", SAML, AttributeMapping={"custom:dept": "department"}
    )
    assert created["AttributeMapping"] == {"custom:dept": "department"}


def test_duplicates(idp_client: Any, pool_id: str) -> None:
    create(idp_client, pool_id, "Okta", "SAML", SAML, IdpIdentifiers=["okta.example.com"])
    with pytest.raises(idp_client.exceptions.DuplicateProviderException):
        create(idp_client, pool_id, "Okta", "SAML", SAML)
    with pytest.raises(idp_client.exceptions.DuplicateProviderException):
        create(idp_client, pool_id, "Other", "SAML", SAML, IdpIdentifiers=["okta.example.com"])
    create(idp_client, pool_id, "Other", "SAML", SAML, IdpIdentifiers=["other.example.com"])
    with pytest.raises(idp_client.exceptions.DuplicateProviderException):
        idp_client.update_identity_provider(
            UserPoolId=pool_id, ProviderName="Other", IdpIdentifiers=["okta.example.com"]
        )
    # Keeping its own identifier is no conflict.
    idp_client.update_identity_provider(
        UserPoolId=pool_id, ProviderName="Okta", IdpIdentifiers=["okta.example.com", "okta2"]
    )


def test_get_by_identifier(idp_client: Any, pool_id: str) -> None:
    create(idp_client, pool_id, "Okta", "SAML", SAML, IdpIdentifiers=["okta.example.com"])
    found = idp_client.get_identity_provider_by_identifier(
        UserPoolId=pool_id, IdpIdentifier="okta.example.com"
    )["IdentityProvider"]
    assert found["ProviderName"] == "Okta"
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.get_identity_provider_by_identifier(UserPoolId=pool_id, IdpIdentifier="nope")


def test_not_found_and_delete(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.describe_identity_provider(UserPoolId=pool_id, ProviderName="Nope")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.update_identity_provider(UserPoolId=pool_id, ProviderName="Nope")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.delete_identity_provider(UserPoolId=pool_id, ProviderName="Nope")
    with pytest.raises(idp_client.exceptions.UnsupportedIdentityProviderException):
        idp_client.delete_identity_provider(UserPoolId=pool_id, ProviderName="COGNITO")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        create(idp_client, "us-east-1_missing0", "Okta", "SAML", SAML)
    create(idp_client, pool_id, "Okta", "SAML", SAML)
    idp_client.delete_identity_provider(UserPoolId=pool_id, ProviderName="Okta")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.describe_identity_provider(UserPoolId=pool_id, ProviderName="Okta")


def test_list_pages(idp_client: Any, pool_id: str) -> None:
    names = [f"Saml{index}" for index in range(5)]
    for name in names:
        create(idp_client, pool_id, name, "SAML", SAML)
    first = idp_client.list_identity_providers(UserPoolId=pool_id, MaxResults=2)
    assert [p["ProviderName"] for p in first["Providers"]] == names[:2]
    assert set(first["Providers"][0]) == {
        "ProviderName",
        "ProviderType",
        "LastModifiedDate",
        "CreationDate",
    }
    paginator = idp_client.get_paginator("list_identity_providers")
    pages = list(paginator.paginate(UserPoolId=pool_id, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    assert [p["ProviderName"] for page in pages for p in page["Providers"]] == names
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.list_identity_providers(UserPoolId=pool_id, NextToken="garbage")


def test_app_clients_list_pool_providers(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException) as exc_info:
        idp_client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="web", SupportedIdentityProviders=["Google"]
        )
    assert "The provider Google does not exist for User Pool" in error_of(exc_info)[1]
    create(idp_client, pool_id, "Google", "Google", GOOGLE)
    created = idp_client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="web", SupportedIdentityProviders=["COGNITO", "Google"]
    )["UserPoolClient"]
    assert created["SupportedIdentityProviders"] == ["COGNITO", "Google"]
    updated = idp_client.update_user_pool_client(
        UserPoolId=pool_id, ClientId=created["ClientId"], SupportedIdentityProviders=["Google"]
    )["UserPoolClient"]
    assert updated["SupportedIdentityProviders"] == ["Google"]
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.update_user_pool_client(
            UserPoolId=pool_id, ClientId=created["ClientId"], SupportedIdentityProviders=["Okta"]
        )


def stored_details(server: RunningServer, pool_id: str) -> list[str]:
    """The raw `details` column of the pool's providers, read from whichever database it uses.

    Through the SQLite library (never a plain open(): closing such a descriptor would drop the
    server's POSIX locks on the file) or asyncpg.
    """
    query = "SELECT details FROM identity_providers WHERE pool_id = {}"
    url = server.settings.database_url
    if url:

        async def fetch() -> list[str]:
            connection = await asyncpg.connect(url)
            try:
                rows = await connection.fetch(query.format("$1"), pool_id)
            finally:
                await connection.close()
            return [str(row[0]) for row in rows]

        return asyncio.run(fetch())
    database = next(server.data_dir.glob("*.db"))
    with sqlite3.connect(database) as connection:
        rows = connection.execute(query.format("?"), (pool_id,)).fetchall()
    return [str(row[0]) for row in rows]


def test_secrets_are_encrypted_at_rest(
    idp_client: Any, pool_id: str, server: RunningServer
) -> None:
    create(idp_client, pool_id, "Corp", "OIDC", OIDC)
    create(idp_client, pool_id, "SignInWithApple", "SignInWithApple", APPLE)
    stored = " ".join(stored_details(server, pool_id))
    assert "o-id" in stored
    assert "o-secret-value" not in stored
    assert "BEGIN PRIVATE KEY" not in stored
