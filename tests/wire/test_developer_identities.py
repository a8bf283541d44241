"""Developer-authenticated identities over the wire with boto3's cognito-identity client:
GetOpenIdTokenForDeveloperIdentity through to temporary credentials, LookupDeveloperIdentity,
MergeDeveloperIdentities, UnlinkDeveloperIdentity; identity-pool tags and principal tag maps."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from cognate.store.store import Store
from cognate.store.tables import identity_credentials
from tests.conftest import REGION, RunningServer, make_client

DEVELOPER = "login.example.app"
PASSWORD = "Passw0rd!"
AUTH_ROLE = "arn:aws:iam::000000000000:role/authenticated"
UNAUTH_ROLE = "arn:aws:iam::000000000000:role/unauthenticated"
ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def identity_client(server: RunningServer) -> Any:
    return make_client(server.url, service="cognito-identity")


def _pool(identity_client: Any, **extra: Any) -> str:
    options: dict[str, Any] = {
        "AllowUnauthenticatedIdentities": False,
        "DeveloperProviderName": DEVELOPER,
        **extra,
    }
    pool_id = identity_client.create_identity_pool(IdentityPoolName="dev", **options)[
        "IdentityPoolId"
    ]
    identity_client.set_identity_pool_roles(
        IdentityPoolId=pool_id, Roles={"authenticated": AUTH_ROLE, "unauthenticated": UNAUTH_ROLE}
    )
    return str(pool_id)


def _token_for(identity_client: Any, pool_id: str, user: str, **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = identity_client.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEVELOPER: user}, **extra
    )
    return result


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    result: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return result


def _error(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def _role_of(server: RunningServer, credentials: dict[str, Any]) -> str:
    """The role the server recorded for the credentials (they do not say it themselves)."""

    async def read() -> str:
        store = Store(server.settings.store_url())
        try:
            async with store.read() as conn:
                query = sa.select(identity_credentials.c.role_arn).where(
                    identity_credentials.c.access_key_id == credentials["AccessKeyId"]
                )
                return str((await conn.execute(query)).scalar_one())
        finally:
            await store.close()

    return asyncio.run(read())


def _user_pool_login(idp_client: Any, username: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A user pool with one app client and a signed-in user: (provider entry, Logins)."""
    pool_id = idp_client.create_user_pool(PoolName=f"p-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    client_id = idp_client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp_client.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    idp_client.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    token = idp_client.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["IdToken"]
    provider = f"cognito-idp.{REGION}.amazonaws.com/{pool_id}"
    return {"ProviderName": provider, "ClientId": client_id}, {provider: token}


def test_developer_flow_ends_in_temporary_credentials(
    server: RunningServer, identity_client: Any
) -> None:
    pool_id = _pool(identity_client)
    first = _token_for(identity_client, pool_id, "alice")
    identity_id = first["IdentityId"]
    claims = _claims(first["Token"])
    assert claims["sub"] == identity_id and claims["aud"] == pool_id
    assert claims["amr"] == ["authenticated", DEVELOPER, f"{DEVELOPER}:{pool_id}:alice"]
    assert claims["exp"] - claims["iat"] == 15 * 60
    assert _token_for(identity_client, pool_id, "alice")["IdentityId"] == identity_id
    assert _token_for(identity_client, pool_id, "bob")["IdentityId"] != identity_id
    assert identity_client.describe_identity(IdentityId=identity_id)["Logins"] == [DEVELOPER]

    login = {"cognito-identity.amazonaws.com": first["Token"]}
    result = identity_client.get_credentials_for_identity(IdentityId=identity_id, Logins=login)
    assert result["IdentityId"] == identity_id
    credentials = result["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and credentials["SessionToken"]
    assert _role_of(server, credentials) == AUTH_ROLE
    # The token names its identity: it opens no other one, and GetId refuses it.
    bob = _token_for(identity_client, pool_id, "bob")["IdentityId"]
    with pytest.raises(identity_client.exceptions.NotAuthorizedException) as info:
        identity_client.get_credentials_for_identity(IdentityId=bob, Logins=login)
    assert _error(info)[1].startswith("Logins don't match.")
    with pytest.raises(identity_client.exceptions.NotAuthorizedException) as info:
        identity_client.get_id(IdentityPoolId=pool_id, Logins=login)
    assert _error(info)[1] == "Invalid login token. Can't pass in a Cognito token."
    # Developer identities are authenticated: no credentials without a login.
    with pytest.raises(identity_client.exceptions.NotAuthorizedException):
        identity_client.get_credentials_for_identity(IdentityId=identity_id)


def test_identity_tokens_are_checked(identity_client: Any) -> None:
    pool_id = _pool(identity_client)
    other_pool = _pool(identity_client)
    issued = _token_for(identity_client, pool_id, "carol")
    identity_id, token = issued["IdentityId"], issued["Token"]
    elsewhere = _token_for(identity_client, other_pool, "carol")["Token"]
    header, _payload, signature = token.split(".")
    forged_claims = {**_claims(token), "exp": _claims(token)["exp"] + 3600}
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).rstrip(b"=")
    forged = f"{header}.{forged_payload.decode()}.{signature}"
    for bad in (elsewhere, forged, "not-a-token", token + "x"):
        with pytest.raises(identity_client.exceptions.NotAuthorizedException) as info:
            identity_client.get_credentials_for_identity(
                IdentityId=identity_id, Logins={"cognito-identity.amazonaws.com": bad}
            )
        assert _error(info)[1].startswith("Invalid login token.")


def test_token_duration_principal_tags_and_basic_flow(identity_client: Any) -> None:
    pool_id = _pool(identity_client, AllowClassicFlow=True)
    issued = _token_for(
        identity_client, pool_id, "dora", TokenDuration=3600, PrincipalTags={"team": "blue"}
    )
    claims = _claims(issued["Token"])
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["https://aws.amazon.com/tags"] == {"principal_tags": {"team": ["blue"]}}
    # GetOpenIdToken accepts the developer token and answers a fresh one for the identity.
    again = identity_client.get_open_id_token(
        IdentityId=issued["IdentityId"], Logins={"cognito-identity.amazonaws.com": issued["Token"]}
    )
    assert _claims(again["Token"])["amr"][:2] == ["authenticated", DEVELOPER]
    lax = make_client(
        identity_client.meta.endpoint_url,
        service="cognito-identity",
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )
    with pytest.raises(lax.exceptions.InvalidParameterException) as info:
        _token_for(lax, pool_id, "dora", TokenDuration=86401)
    assert "tokenDuration" in _error(info)[1]


def test_provider_and_pool_must_match(server: RunningServer, identity_client: Any) -> None:
    pool_id = _pool(identity_client)
    with pytest.raises(identity_client.exceptions.NotAuthorizedException) as info:
        identity_client.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, Logins={"other.provider": "eve"}
        )
    assert (
        _error(info)[1] == "This identity pool does not support the specified developer provider."
    )
    plain = identity_client.create_identity_pool(
        IdentityPoolName="plain", AllowUnauthenticatedIdentities=False
    )["IdentityPoolId"]
    with pytest.raises(identity_client.exceptions.NotAuthorizedException):
        _token_for(identity_client, plain, "eve")
    with pytest.raises(identity_client.exceptions.ResourceNotFoundException):
        _token_for(identity_client, f"{REGION}:{uuid.uuid4()}", "eve")
    with pytest.raises(identity_client.exceptions.ResourceNotFoundException):
        _token_for(identity_client, pool_id, "eve", IdentityId=f"{REGION}:{uuid.uuid4()}")
    unsigned = make_client(
        server.url, service="cognito-identity", config=Config(signature_version=UNSIGNED)
    )
    with pytest.raises(ClientError) as denied:
        _token_for(unsigned, pool_id, "eve")
    assert _error(denied)[0] == "MissingAuthenticationTokenException"


def test_linking_to_an_identity_and_lookup_both_ways(identity_client: Any) -> None:
    pool_id = _pool(identity_client, AllowUnauthenticatedIdentities=True)
    guest = identity_client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    # A guest identity given as IdentityId takes the developer users linked to it.
    for user in ("frank-1", "frank-2", "frank-3"):
        linked = _token_for(identity_client, pool_id, user, IdentityId=guest)
        assert linked["IdentityId"] == guest
    other = identity_client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    with pytest.raises(identity_client.exceptions.DeveloperUserAlreadyRegisteredException):
        _token_for(identity_client, pool_id, "frank-1", IdentityId=other)

    seen: list[str] = []
    kwargs: dict[str, Any] = {"IdentityPoolId": pool_id, "IdentityId": guest, "MaxResults": 2}
    while True:
        page = identity_client.lookup_developer_identity(**kwargs)
        assert page["IdentityId"] == guest and len(page["DeveloperUserIdentifierList"]) <= 2
        seen += page["DeveloperUserIdentifierList"]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert seen == ["frank-1", "frank-2", "frank-3"]
    with pytest.raises(identity_client.exceptions.InvalidParameterException):
        identity_client.lookup_developer_identity(
            IdentityPoolId=pool_id, IdentityId=other, NextToken=kwargs["NextToken"]
        )

    found = identity_client.lookup_developer_identity(
        IdentityPoolId=pool_id, DeveloperUserIdentifier="frank-2"
    )
    assert found["IdentityId"] == guest and found["DeveloperUserIdentifierList"] == ["frank-2"]
    both = identity_client.lookup_developer_identity(
        IdentityPoolId=pool_id, IdentityId=guest, DeveloperUserIdentifier="frank-3"
    )
    assert both["IdentityId"] == guest
    with pytest.raises(identity_client.exceptions.ResourceConflictException):
        identity_client.lookup_developer_identity(
            IdentityPoolId=pool_id, IdentityId=other, DeveloperUserIdentifier="frank-3"
        )
    with pytest.raises(identity_client.exceptions.ResourceNotFoundException):
        identity_client.lookup_developer_identity(
            IdentityPoolId=pool_id, DeveloperUserIdentifier="nobody"
        )
    with pytest.raises(identity_client.exceptions.InvalidParameterException):
        identity_client.lookup_developer_identity(IdentityPoolId=pool_id)
    empty = identity_client.lookup_developer_identity(IdentityPoolId=pool_id, IdentityId=other)
    assert empty["DeveloperUserIdentifierList"] == []


def test_developer_and_user_pool_logins_share_an_identity(
    idp_client: Any, identity_client: Any
) -> None:
    provider, login = _user_pool_login(idp_client, "gina")
    pool_id = _pool(identity_client, CognitoIdentityProviders=[provider])
    identity_id = identity_client.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEVELOPER: "gina", **login}
    )["IdentityId"]
    assert identity_client.get_id(IdentityPoolId=pool_id, Logins=login)["IdentityId"] == (
        identity_id
    )
    described = identity_client.describe_identity(IdentityId=identity_id)
    assert described["Logins"] == sorted([DEVELOPER, provider["ProviderName"]])
    # The user-pool login now names this identity: another identity cannot take it along.
    hal = _token_for(identity_client, pool_id, "hal")["IdentityId"]
    with pytest.raises(identity_client.exceptions.ResourceConflictException):
        identity_client.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, IdentityId=hal, Logins={DEVELOPER: "gina-2", **login}
        )


def test_merge_developer_identities(idp_client: Any, identity_client: Any) -> None:
    pool_id = _pool(identity_client)
    destination = _token_for(identity_client, pool_id, "ivan")["IdentityId"]
    source = _token_for(identity_client, pool_id, "ivan-old")["IdentityId"]
    merged = identity_client.merge_developer_identities(
        SourceUserIdentifier="ivan-old",
        DestinationUserIdentifier="ivan",
        DeveloperProviderName=DEVELOPER,
        IdentityPoolId=pool_id,
    )
    assert merged["IdentityId"] == destination
    found = identity_client.lookup_developer_identity(
        IdentityPoolId=pool_id, DeveloperUserIdentifier="ivan-old"
    )
    assert found["IdentityId"] == destination
    assert _token_for(identity_client, pool_id, "ivan-old")["IdentityId"] == destination
    with pytest.raises(identity_client.exceptions.ResourceNotFoundException):
        identity_client.describe_identity(IdentityId=source)
    listed = identity_client.lookup_developer_identity(
        IdentityPoolId=pool_id, IdentityId=destination
    )
    assert listed["DeveloperUserIdentifierList"] == ["ivan", "ivan-old"]
    # Merging users already sharing an identity changes nothing.
    again = identity_client.merge_developer_identities(
        SourceUserIdentifier="ivan-old",
        DestinationUserIdentifier="ivan",
        DeveloperProviderName=DEVELOPER,
        IdentityPoolId=pool_id,
    )
    assert again["IdentityId"] == destination

    def merge(source_user: str, destination_user: str, provider: str = DEVELOPER) -> Any:
        return identity_client.merge_developer_identities(
            SourceUserIdentifier=source_user,
            DestinationUserIdentifier=destination_user,
            DeveloperProviderName=provider,
            IdentityPoolId=pool_id,
        )

    with pytest.raises(identity_client.exceptions.ResourceNotFoundException):
        merge("nobody", "ivan")
    with pytest.raises(identity_client.exceptions.NotAuthorizedException):
        merge("ivan-old", "ivan", provider="other.provider")


def test_merge_refuses_two_users_of_one_public_provider(
    idp_client: Any, identity_client: Any
) -> None:
    provider, jack = _user_pool_login(idp_client, "jack")
    pool_id = _pool(identity_client, CognitoIdentityProviders=[provider])
    # A second user of the same user pool and app client.
    user_pool_id = provider["ProviderName"].rsplit("/", 1)[1]
    idp_client.admin_create_user(UserPoolId=user_pool_id, Username="kim", MessageAction="SUPPRESS")
    idp_client.admin_set_user_password(
        UserPoolId=user_pool_id, Username="kim", Password=PASSWORD, Permanent=True
    )
    kim_token = idp_client.admin_initiate_auth(
        UserPoolId=user_pool_id,
        ClientId=provider["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "kim", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["IdToken"]
    identity_client.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEVELOPER: "jack", **jack}
    )
    identity_client.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={DEVELOPER: "kim", provider["ProviderName"]: kim_token}
    )
    with pytest.raises(identity_client.exceptions.ResourceConflictException):
        identity_client.merge_developer_identities(
            SourceUserIdentifier="kim",
            DestinationUserIdentifier="jack",
            DeveloperProviderName=DEVELOPER,
            IdentityPoolId=pool_id,
        )


def test_unlink_developer_identity(identity_client: Any) -> None:
    pool_id = _pool(identity_client)
    identity_id = _token_for(identity_client, pool_id, "lena")["IdentityId"]
    other = _token_for(identity_client, pool_id, "mo")["IdentityId"]
    with pytest.raises(identity_client.exceptions.ResourceConflictException):
        identity_client.unlink_developer_identity(
            IdentityId=other,
            IdentityPoolId=pool_id,
            DeveloperProviderName=DEVELOPER,
            DeveloperUserIdentifier="lena",
        )
    identity_client.unlink_developer_identity(
        IdentityId=identity_id,
        IdentityPoolId=pool_id,
        DeveloperProviderName=DEVELOPER,
        DeveloperUserIdentifier="lena",
    )
    with pytest.raises(identity_client.exceptions.ResourceNotFoundException):
        identity_client.lookup_developer_identity(
            IdentityPoolId=pool_id, DeveloperUserIdentifier="lena"
        )
    assert identity_client.describe_identity(IdentityId=identity_id)["Logins"] == []
    # Unlinked users are new identities next time they are seen.
    assert _token_for(identity_client, pool_id, "lena")["IdentityId"] != identity_id
    with pytest.raises(identity_client.exceptions.ResourceNotFoundException):
        identity_client.unlink_developer_identity(
            IdentityId=identity_id,
            IdentityPoolId=pool_id,
            DeveloperProviderName=DEVELOPER,
            DeveloperUserIdentifier="nobody",
        )


def test_identity_pool_tags(identity_client: Any) -> None:
    pool_id = _pool(identity_client, IdentityPoolTags={"team": "a"})
    arn = f"arn:aws:cognito-identity:{REGION}:{ACCOUNT}:identitypool/{pool_id}"
    assert identity_client.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "a"}
    identity_client.tag_resource(ResourceArn=arn, Tags={"env": "dev", "team": "b"})
    assert identity_client.list_tags_for_resource(ResourceArn=arn)["Tags"] == {
        "env": "dev",
        "team": "b",
    }
    identity_client.untag_resource(ResourceArn=arn, TagKeys=["team", "absent"])
    assert identity_client.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"env": "dev"}
    described = identity_client.describe_identity_pool(IdentityPoolId=pool_id)
    assert described["IdentityPoolTags"] == {"env": "dev"}
    with pytest.raises(identity_client.exceptions.InvalidParameterException):
        identity_client.tag_resource(
            ResourceArn=arn, Tags={f"k{number}": "v" for number in range(51)}
        )
    for unknown in (
        f"arn:aws:cognito-identity:{REGION}:{ACCOUNT}:identitypool/{REGION}:{uuid.uuid4()}",
        f"arn:aws:cognito-identity:eu-west-1:{ACCOUNT}:identitypool/{pool_id}",
        f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_abcdefghi",
    ):
        with pytest.raises(identity_client.exceptions.ResourceNotFoundException):
            identity_client.list_tags_for_resource(ResourceArn=unknown)


def test_principal_tag_attribute_maps(server: RunningServer, identity_client: Any) -> None:
    pool_id = _pool(identity_client)
    provider = f"cognito-idp.{REGION}.amazonaws.com/{REGION}_abcdefghi"
    unset = identity_client.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=provider
    )
    assert unset["UseDefaults"] is False and "PrincipalTags" not in unset
    custom = identity_client.set_principal_tag_attribute_map(
        IdentityPoolId=pool_id,
        IdentityProviderName=provider,
        PrincipalTags={"dept": "custom:dept"},
    )
    assert custom["PrincipalTags"] == {"dept": "custom:dept"} and custom["UseDefaults"] is False
    # The Amplify-style name of the same user pool reaches the same map.
    amplify = server.url.split("://", 1)[1] + f"/{REGION}_abcdefghi"
    got = identity_client.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=amplify
    )
    assert got["IdentityProviderName"] == amplify
    assert got["PrincipalTags"] == {"dept": "custom:dept"}
    defaults = identity_client.set_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=provider, UseDefaults=True
    )
    assert defaults["UseDefaults"] is True
    assert defaults["PrincipalTags"] == {"username": "sub", "client": "aud"}
    got = identity_client.get_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=provider
    )
    assert got == {
        **got,
        "UseDefaults": True,
        "PrincipalTags": {"username": "sub", "client": "aud"},
    }
    facebook = identity_client.set_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName="graph.facebook.com", UseDefaults=True
    )
    assert facebook["PrincipalTags"] == {"app_id": "aud", "user_id": "sub"}
    with pytest.raises(identity_client.exceptions.ResourceNotFoundException):
        identity_client.get_principal_tag_attribute_map(
            IdentityPoolId=f"{REGION}:{uuid.uuid4()}", IdentityProviderName=provider
        )


def test_a_guests_own_token_keeps_it_a_guest(server: RunningServer, identity_client: Any) -> None:
    pool_id = _pool(identity_client, AllowUnauthenticatedIdentities=True, AllowClassicFlow=True)
    guest = identity_client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    token = identity_client.get_open_id_token(IdentityId=guest)["Token"]
    assert _claims(token)["amr"] == ["unauthenticated"]
    result = identity_client.get_credentials_for_identity(
        IdentityId=guest, Logins={"cognito-identity.amazonaws.com": token}
    )
    assert _role_of(server, result["Credentials"]) == UNAUTH_ROLE
