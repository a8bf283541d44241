"""Identity pools over the wire with boto3's cognito-identity client: pool CRUD, roles, the
enhanced and basic flows with user-pool ID tokens, guest identities, role mappings."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError, ParamValidationError

from cognate.store.store import Store
from cognate.store.tables import identity_credentials
from tests.conftest import REGION, RunningServer, make_client

PASSWORD = "Passw0rd!"
AUTH_ROLE = "arn:aws:iam::000000000000:role/authenticated"
UNAUTH_ROLE = "arn:aws:iam::000000000000:role/unauthenticated"
ADMIN_ROLE = "arn:aws:iam::000000000000:role/admins"
READER_ROLE = "arn:aws:iam::000000000000:role/readers"


@pytest.fixture(scope="module")
def identity_client(server: RunningServer) -> Any:
    return make_client(server.url, service="cognito-identity")


@dataclass
class UserPool:
    id: str
    client_id: str
    provider: str


def _user_pool(idp_client: Any) -> UserPool:
    pool_id = idp_client.create_user_pool(PoolName=f"p-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    client_id = idp_client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return UserPool(pool_id, client_id, f"cognito-idp.{REGION}.amazonaws.com/{pool_id}")


def _id_token(idp_client: Any, user_pool: UserPool, username: str, **attrs: str) -> str:
    idp_client.admin_create_user(
        UserPoolId=user_pool.id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": name, "Value": value} for name, value in attrs.items()],
    )
    idp_client.admin_set_user_password(
        UserPoolId=user_pool.id, Username=username, Password=PASSWORD, Permanent=True
    )
    return _sign_in(idp_client, user_pool, username)


def _sign_in(idp_client: Any, user_pool: UserPool, username: str) -> str:
    result = idp_client.admin_initiate_auth(
        UserPoolId=user_pool.id,
        ClientId=user_pool.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return str(result["AuthenticationResult"]["IdToken"])


def _identity_pool(identity_client: Any, user_pool: UserPool | None, **extra: Any) -> str:
    providers = (
        [{"ProviderName": user_pool.provider, "ClientId": user_pool.client_id}] if user_pool else []
    )
    options: dict[str, Any] = {"AllowUnauthenticatedIdentities": False, **extra}
    pool_id = identity_client.create_identity_pool(
        IdentityPoolName="ids", CognitoIdentityProviders=providers, **options
    )["IdentityPoolId"]
    identity_client.set_identity_pool_roles(
        IdentityPoolId=pool_id, Roles={"authenticated": AUTH_ROLE, "unauthenticated": UNAUTH_ROLE}
    )
    return str(pool_id)


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    result: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return result


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


def _error(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def test_pool_crud_and_full_replace_update(identity_client: Any) -> None:
    created = identity_client.create_identity_pool(
        IdentityPoolName="my pool",
        AllowUnauthenticatedIdentities=True,
        AllowClassicFlow=True,
        SupportedLoginProviders={"accounts.google.com": "abc"},
        DeveloperProviderName="login.example",
        IdentityPoolTags={"team": "a"},
    )
    pool_id = created["IdentityPoolId"]
    region, _, rest = pool_id.partition(":")
    assert region == REGION and str(uuid.UUID(rest)) == rest
    described = identity_client.describe_identity_pool(IdentityPoolId=pool_id)
    assert described["SupportedLoginProviders"] == {"accounts.google.com": "abc"}
    assert described["AllowClassicFlow"] is True
    updated = identity_client.update_identity_pool(
        IdentityPoolId=pool_id,
        IdentityPoolName="renamed",
        AllowUnauthenticatedIdentities=False,
        DeveloperProviderName="login.example",
    )
    assert updated["IdentityPoolName"] == "renamed"
    described = identity_client.describe_identity_pool(IdentityPoolId=pool_id)
    assert "SupportedLoginProviders" not in described
    assert described["AllowClassicFlow"] is False
    with pytest.raises(identity_client.exceptions.InvalidParameterException):
        identity_client.update_identity_pool(
            IdentityPoolId=pool_id,
            IdentityPoolName="renamed",
            AllowUnauthenticatedIdentities=False,
            DeveloperProviderName="other.example",
        )
    identity_client.delete_identity_pool(IdentityPoolId=pool_id)
    with pytest.raises(identity_client.exceptions.ResourceNotFoundException) as info:
        identity_client.describe_identity_pool(IdentityPoolId=pool_id)
    assert _error(info)[1] == f"IdentityPool '{pool_id}' not found."


def test_list_identity_pools_paginates(identity_client: Any) -> None:
    made = {_identity_pool(identity_client, None) for _ in range(3)}
    seen: list[str] = []
    kwargs: dict[str, Any] = {"MaxResults": 2}
    while True:
        page = identity_client.list_identity_pools(**kwargs)
        assert len(page["IdentityPools"]) <= 2
        seen += [item["IdentityPoolId"] for item in page["IdentityPools"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert made <= set(seen) and len(seen) == len(set(seen))
    with pytest.raises(identity_client.exceptions.InvalidParameterException):
        identity_client.list_identity_pools(MaxResults=2, NextToken="garbage")


def test_validation_errors(identity_client: Any) -> None:
    with pytest.raises(ParamValidationError):
        identity_client.create_identity_pool(IdentityPoolName="x")
    with pytest.raises(ClientError) as info:
        identity_client.create_identity_pool(
            IdentityPoolName="bad/name", AllowUnauthenticatedIdentities=False
        )
    assert _error(info)[0] == "InvalidParameterException"
    with pytest.raises(identity_client.exceptions.InvalidParameterException):
        identity_client.create_identity_pool(
            IdentityPoolName="x",
            AllowUnauthenticatedIdentities=False,
            CognitoIdentityProviders=[{"ProviderName": "example.com/nope", "ClientId": "abc"}],
        )
    pool_id = _identity_pool(identity_client, None)
    with pytest.raises(identity_client.exceptions.InvalidParameterException):
        identity_client.set_identity_pool_roles(
            IdentityPoolId=pool_id,
            Roles={"authenticated": AUTH_ROLE},
            RoleMappings={"x": {"Type": "Rules", "AmbiguousRoleResolution": "Deny"}},
        )
    with pytest.raises(identity_client.exceptions.ResourceNotFoundException):
        identity_client.get_id(IdentityPoolId=f"{REGION}:{uuid.uuid4()}")


def test_full_flow_same_identity_through_both_key_forms(
    server: RunningServer, idp_client: Any, identity_client: Any
) -> None:
    user_pool = _user_pool(idp_client)
    pool_id = _identity_pool(identity_client, user_pool)
    token = _id_token(idp_client, user_pool, "alice")
    first = identity_client.get_id(IdentityPoolId=pool_id, Logins={user_pool.provider: token})
    identity_id = first["IdentityId"]
    again = identity_client.get_id(
        IdentityPoolId=pool_id,
        Logins={user_pool.provider: _sign_in(idp_client, user_pool, "alice")},
    )
    assert again["IdentityId"] == identity_id
    amplify_key = server.url.split("://", 1)[1] + "/" + user_pool.id
    assert _claims(token)["iss"].split("://", 1)[1] == amplify_key
    amplify = identity_client.get_id(IdentityPoolId=pool_id, Logins={amplify_key: token})
    assert amplify["IdentityId"] == identity_id

    result = identity_client.get_credentials_for_identity(
        IdentityId=identity_id, Logins={amplify_key: token}
    )
    credentials = result["Credentials"]
    assert result["IdentityId"] == identity_id
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretKey"]) == 40 and credentials["SessionToken"]
    lifetime = credentials["Expiration"].timestamp() - _claims(token)["iat"]
    assert 3500 < lifetime < 3700
    assert _role_of(server, credentials) == AUTH_ROLE
    other = identity_client.get_credentials_for_identity(
        IdentityId=identity_id, Logins={user_pool.provider: token}
    )["Credentials"]
    assert other["AccessKeyId"] != credentials["AccessKeyId"]

    described = identity_client.describe_identity(IdentityId=identity_id)
    assert described["Logins"] == [user_pool.provider]
    listed = identity_client.list_identities(IdentityPoolId=pool_id, MaxResults=10)
    assert [item["IdentityId"] for item in listed["Identities"]] == [identity_id]

    # Another user of the same pool gets another identity, which alice's token cannot open.
    bob = identity_client.get_id(
        IdentityPoolId=pool_id, Logins={user_pool.provider: _id_token(idp_client, user_pool, "bob")}
    )["IdentityId"]
    assert bob != identity_id
    with pytest.raises(identity_client.exceptions.NotAuthorizedException) as info:
        identity_client.get_credentials_for_identity(
            IdentityId=bob, Logins={user_pool.provider: token}
        )
    assert _error(info)[1].startswith("Logins don't match.")
    with pytest.raises(identity_client.exceptions.NotAuthorizedException):
        identity_client.get_credentials_for_identity(IdentityId=identity_id)


def test_guest_identities(server: RunningServer, identity_client: Any) -> None:
    allowing = _identity_pool(identity_client, None, AllowUnauthenticatedIdentities=True)
    guest = identity_client.get_id(IdentityPoolId=allowing)["IdentityId"]
    assert identity_client.get_id(IdentityPoolId=allowing)["IdentityId"] != guest
    result = identity_client.get_credentials_for_identity(IdentityId=guest)
    assert _role_of(server, result["Credentials"]) == UNAUTH_ROLE
    refusing = _identity_pool(identity_client, None)
    with pytest.raises(identity_client.exceptions.NotAuthorizedException) as info:
        identity_client.get_id(IdentityPoolId=refusing)
    assert _error(info)[1] == "Unauthenticated access is not supported for this identity pool."
    with pytest.raises(identity_client.exceptions.ResourceNotFoundException) as not_found:
        identity_client.get_credentials_for_identity(IdentityId=f"{REGION}:{uuid.uuid4()}")
    assert _error(not_found)[1].startswith("Identity '")


def test_guest_without_unauthenticated_role_is_a_configuration_error(identity_client: Any) -> None:
    pool_id = identity_client.create_identity_pool(
        IdentityPoolName="noroles", AllowUnauthenticatedIdentities=True
    )["IdentityPoolId"]
    guest = identity_client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    with pytest.raises(identity_client.exceptions.InvalidIdentityPoolConfigurationException):
        identity_client.get_credentials_for_identity(IdentityId=guest)


def test_tokens_from_elsewhere_and_tampered_tokens_are_refused(
    idp_client: Any, identity_client: Any
) -> None:
    user_pool = _user_pool(idp_client)
    pool_id = _identity_pool(identity_client, user_pool)
    token = _id_token(idp_client, user_pool, "carol")
    # Another client of the same user pool, not configured in the identity pool.
    other_client = idp_client.create_user_pool_client(
        UserPoolId=user_pool.id,
        ClientName="other",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    foreign = _sign_in(
        idp_client, UserPool(user_pool.id, other_client, user_pool.provider), "carol"
    )
    with pytest.raises(identity_client.exceptions.NotAuthorizedException) as info:
        identity_client.get_id(IdentityPoolId=pool_id, Logins={user_pool.provider: foreign})
    assert _error(info)[1].startswith("Invalid login token.")
    # A token of another user pool, under its own (unconfigured) provider name or under ours.
    elsewhere = _user_pool(idp_client)
    stranger = _id_token(idp_client, elsewhere, "dave")
    with pytest.raises(identity_client.exceptions.NotAuthorizedException) as info:
        identity_client.get_id(IdentityPoolId=pool_id, Logins={elsewhere.provider: stranger})
    assert _error(info)[1] == "Token is not from a supported provider of this identity pool."
    with pytest.raises(identity_client.exceptions.NotAuthorizedException) as info:
        identity_client.get_id(IdentityPoolId=pool_id, Logins={user_pool.provider: stranger})
    assert _error(info)[1] == "Invalid login token. Issuer doesn't match providerName"
    # Tampered: another sub with the original signature.
    header, _payload, signature = token.split(".")
    claims = {**_claims(token), "sub": str(uuid.uuid4())}
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    for forged in (f"{header}.{forged_payload}.{signature}", "not-a-token", token + "x"):
        with pytest.raises(identity_client.exceptions.NotAuthorizedException):
            identity_client.get_id(IdentityPoolId=pool_id, Logins={user_pool.provider: forged})


def _roles_user(idp_client: Any, user_pool: UserPool, username: str, groups: list[str]) -> str:
    idp_client.admin_create_user(
        UserPoolId=user_pool.id, Username=username, MessageAction="SUPPRESS"
    )
    idp_client.admin_set_user_password(
        UserPoolId=user_pool.id, Username=username, Password=PASSWORD, Permanent=True
    )
    for group in groups:
        idp_client.admin_add_user_to_group(
            UserPoolId=user_pool.id, Username=username, GroupName=group
        )
    return _sign_in(idp_client, user_pool, username)


def _credentials_role(
    identity_client: Any, pool_id: str, login: dict[str, str], **extra: Any
) -> Any:
    identity_id = identity_client.get_id(IdentityPoolId=pool_id, Logins=login)["IdentityId"]
    return identity_client.get_credentials_for_identity(
        IdentityId=identity_id, Logins=login, **extra
    )


def test_token_role_mapping(server: RunningServer, idp_client: Any, identity_client: Any) -> None:
    user_pool = _user_pool(idp_client)
    for name, role, precedence in (("admins", ADMIN_ROLE, 1), ("readers", READER_ROLE, 2)):
        idp_client.create_group(
            UserPoolId=user_pool.id, GroupName=name, RoleArn=role, Precedence=precedence
        )
    pool_id = _identity_pool(identity_client, user_pool)
    mapping_key = f"{user_pool.provider}:{user_pool.client_id}"
    identity_client.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"authenticated": AUTH_ROLE},
        RoleMappings={mapping_key: {"Type": "Token", "AmbiguousRoleResolution": "Deny"}},
    )
    roles = identity_client.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert roles["RoleMappings"][mapping_key]["Type"] == "Token"
    token = _roles_user(idp_client, user_pool, "erin", ["admins", "readers"])
    login = {user_pool.provider: token}
    # cognito:preferred_role: the role of the group with the lowest precedence.
    result = _credentials_role(identity_client, pool_id, login)
    assert _role_of(server, result["Credentials"]) == ADMIN_ROLE
    # CustomRoleArn must be one of the token's roles.
    result = _credentials_role(identity_client, pool_id, login, CustomRoleArn=READER_ROLE)
    assert _role_of(server, result["Credentials"]) == READER_ROLE
    with pytest.raises(identity_client.exceptions.NotAuthorizedException):
        _credentials_role(
            identity_client, pool_id, login, CustomRoleArn="arn:aws:iam::000000000000:role/zz"
        )
    # No role in the token: ambiguous, and Deny refuses.
    plain = {user_pool.provider: _roles_user(idp_client, user_pool, "frank", [])}
    with pytest.raises(identity_client.exceptions.NotAuthorizedException) as info:
        _credentials_role(identity_client, pool_id, plain)
    assert _error(info)[1] == (
        f"The ambiguous role mapping rules for: {mapping_key} denied this request."
    )


def test_rules_role_mapping(server: RunningServer, idp_client: Any, identity_client: Any) -> None:
    user_pool = _user_pool(idp_client)
    idp_client.create_group(UserPoolId=user_pool.id, GroupName="staff")
    pool_id = _identity_pool(identity_client, user_pool)
    mapping_key = f"{user_pool.provider}:{user_pool.client_id}"
    rules = [
        {
            "Claim": "cognito:groups",
            "MatchType": "Contains",
            "Value": "staff",
            "RoleARN": ADMIN_ROLE,
        },
        {
            "Claim": "cognito:username",
            "MatchType": "StartsWith",
            "Value": "gu",
            "RoleARN": READER_ROLE,
        },
    ]
    identity_client.set_identity_pool_roles(
        IdentityPoolId=pool_id,
        Roles={"authenticated": AUTH_ROLE},
        RoleMappings={
            mapping_key: {
                "Type": "Rules",
                "AmbiguousRoleResolution": "AuthenticatedRole",
                "RulesConfiguration": {"Rules": rules},
            }
        },
    )
    expected: list[tuple[str, list[str], str]] = [
        ("gus", ["staff"], ADMIN_ROLE),
        ("guy", [], READER_ROLE),
        ("hank", [], AUTH_ROLE),
    ]
    for username, groups, role in expected:
        login = {user_pool.provider: _roles_user(idp_client, user_pool, username, groups)}
        result = _credentials_role(identity_client, pool_id, login)
        assert _role_of(server, result["Credentials"]) == role, username


def test_open_id_token_and_identity_records(idp_client: Any, identity_client: Any) -> None:
    user_pool = _user_pool(idp_client)
    pool_id = _identity_pool(identity_client, user_pool, AllowClassicFlow=True)
    token = _id_token(idp_client, user_pool, "ivy")
    login = {user_pool.provider: token}
    identity_id = identity_client.get_id(IdentityPoolId=pool_id, Logins=login)["IdentityId"]
    result = identity_client.get_open_id_token(IdentityId=identity_id, Logins=login)
    claims = _claims(result["Token"])
    assert claims["sub"] == identity_id and claims["aud"] == pool_id
    assert claims["amr"][:2] == ["authenticated", user_pool.provider]
    assert claims["exp"] - claims["iat"] == 600

    enhanced_only = _identity_pool(identity_client, user_pool)
    other = identity_client.get_id(IdentityPoolId=enhanced_only, Logins=login)["IdentityId"]
    with pytest.raises(identity_client.exceptions.InvalidParameterException):
        identity_client.get_open_id_token(IdentityId=other, Logins=login)

    identity_client.unlink_identity(
        IdentityId=identity_id, Logins=login, LoginsToRemove=[user_pool.provider]
    )
    assert identity_client.describe_identity(IdentityId=identity_id)["Logins"] == []
    deleted = identity_client.delete_identities(
        IdentityIdsToDelete=[identity_id, f"{REGION}:{uuid.uuid4()}"]
    )
    assert len(deleted["UnprocessedIdentityIds"]) == 1
    with pytest.raises(identity_client.exceptions.ResourceNotFoundException):
        identity_client.describe_identity(IdentityId=identity_id)


def test_server_side_token_check_and_guest_upgrade(
    server: RunningServer, idp_client: Any, identity_client: Any
) -> None:
    user_pool = _user_pool(idp_client)
    pool_id = identity_client.create_identity_pool(
        IdentityPoolName="checked",
        AllowUnauthenticatedIdentities=True,
        CognitoIdentityProviders=[
            {
                "ProviderName": user_pool.provider,
                "ClientId": user_pool.client_id,
                "ServerSideTokenCheck": True,
            }
        ],
    )["IdentityPoolId"]
    identity_client.set_identity_pool_roles(
        IdentityPoolId=pool_id, Roles={"authenticated": AUTH_ROLE, "unauthenticated": UNAUTH_ROLE}
    )
    token = _id_token(idp_client, user_pool, "judy")
    login = {user_pool.provider: token}
    # A guest identity presenting a login becomes that login's identity.
    guest = identity_client.get_id(IdentityPoolId=pool_id)["IdentityId"]
    result = identity_client.get_credentials_for_identity(IdentityId=guest, Logins=login)
    assert _role_of(server, result["Credentials"]) == AUTH_ROLE
    assert identity_client.get_id(IdentityPoolId=pool_id, Logins=login)["IdentityId"] == guest
    idp_client.admin_disable_user(UserPoolId=user_pool.id, Username="judy")
    with pytest.raises(identity_client.exceptions.NotAuthorizedException):
        identity_client.get_id(IdentityPoolId=pool_id, Logins=login)
    idp_client.admin_enable_user(UserPoolId=user_pool.id, Username="judy")
    # Disabling revoked the old token; a new sign-in reaches the same identity.
    with pytest.raises(identity_client.exceptions.NotAuthorizedException):
        identity_client.get_id(IdentityPoolId=pool_id, Logins=login)
    fresh = {user_pool.provider: _sign_in(idp_client, user_pool, "judy")}
    assert identity_client.get_id(IdentityPoolId=pool_id, Logins=fresh)["IdentityId"] == guest
