"""Sign-in over the wire with boto3 (and pycognito's SRP maths as an independent client):
every flow, challenge and error of InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge,
AdminRespondToAuthChallenge and ChangePassword; enumeration (security-test-plan.md A) and
lockout (B)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from cognate.store.store import Store
from cognate.store.tables import sign_in_failures
from tests.conftest import RunningServer, make_client

PASSWORD = "Corr3ct!horse"
WRONG = "Wr0ng!horse"
INCORRECT = "Incorrect username or password."
EXCEEDED = "Password attempts exceeded"
INVALID_SESSION = "Invalid session for the user, session is expired."
ALL_FLOWS = [
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


def new_client(
    idp: Any, pool_id: str, *, flows: list[str] | None = None, pue: str = "ENABLED", **extra: Any
) -> dict[str, Any]:
    result: dict[str, Any] = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"c-{uuid.uuid4().hex[:6]}",
        ExplicitAuthFlows=ALL_FLOWS if flows is None else flows,
        PreventUserExistenceErrors=pue,
        **extra,
    )["UserPoolClient"]
    return result


def new_user(
    idp: Any, pool_id: str, username: str = "alice", *, permanent: bool = True, **extra: Any
) -> None:
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword=PASSWORD if not permanent else "Temp0rary!pass",
        MessageAction="SUPPRESS",
        **extra,
    )
    if permanent:
        idp.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
        )


def password_auth(idp: Any, client_id: str, username: str, password: str, **extra: Any) -> Any:
    return idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password, **extra},
    )


def error_of(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def secret_hash(secret: str, username: str, client_id: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def srp_start(idp: Any, pool_id: str, client_id: str, username: str, password: str) -> Any:
    """USER_SRP_AUTH step 1 with pycognito's maths; returns (helper, request, challenge)."""
    helper = AWSSRP(
        username=username, password=password, pool_id=pool_id, client_id=client_id, client=idp
    )
    request = helper.get_auth_params()
    challenge = idp.initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=request
    )
    return helper, request, challenge


def srp_answer(idp: Any, client_id: str, helper: Any, request: Any, challenge: Any) -> Any:
    responses = helper.process_challenge(challenge["ChallengeParameters"], request)
    return idp.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )


def test_user_password_auth_issues_tokens(idp_client, pool_id):
    client = new_client(idp_client, pool_id)
    new_user(idp_client, pool_id)
    answer = password_auth(idp_client, client["ClientId"], "ALICE", PASSWORD)
    result = answer["AuthenticationResult"]
    assert {"AccessToken", "IdToken", "RefreshToken", "ExpiresIn"} <= set(result)
    assert result["TokenType"] == "Bearer"
    assert answer["ChallengeParameters"] == {}
    assert "ChallengeName" not in answer


@pytest.mark.parametrize(
    ("flows", "auth_flow"),
    [(ALL_FLOWS, "ADMIN_USER_PASSWORD_AUTH"), (["ADMIN_NO_SRP_AUTH"], "ADMIN_NO_SRP_AUTH")],
)
def test_admin_password_flows(idp_client, pool_id, flows, auth_flow):
    client = new_client(idp_client, pool_id, flows=flows)
    new_user(idp_client, pool_id)
    answer = idp_client.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        AuthFlow=auth_flow,
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert "IdToken" in answer["AuthenticationResult"]


def test_flow_of_the_other_operation_is_refused(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    parameters = {"USERNAME": "alice", "PASSWORD": PASSWORD}
    assert error_of(
        idp_client.initiate_auth,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters=parameters,
    ) == ("InvalidParameterException", "Initiate Auth method not supported.")
    assert error_of(
        idp_client.admin_initiate_auth,
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters=parameters,
    ) == ("InvalidParameterException", "Initiate Auth method not supported.")


def test_flow_not_enabled_and_missing_parameters(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id, flows=["ALLOW_USER_SRP_AUTH"])["ClientId"]
    assert error_of(password_auth, idp_client, client_id, "alice", PASSWORD) == (
        "InvalidParameterException",
        "USER_PASSWORD_AUTH flow not enabled for this client",
    )
    client_id = new_client(idp_client, pool_id)["ClientId"]
    for parameters, missing in (
        ({"PASSWORD": PASSWORD}, "USERNAME"),
        ({"USERNAME": "a"}, "PASSWORD"),
    ):
        assert error_of(
            idp_client.initiate_auth,
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters=parameters,
        ) == ("InvalidParameterException", f"Missing required parameter {missing}")


def test_unknown_client(idp_client):
    code, message = error_of(password_auth, idp_client, "nosuchclient", "alice", PASSWORD)
    assert (code, message) == (
        "ResourceNotFoundException",
        "User pool client nosuchclient does not exist.",
    )


def test_secret_hash_is_required_for_confidential_clients(idp_client, pool_id):
    client = new_client(idp_client, pool_id, GenerateSecret=True)
    client_id, secret = client["ClientId"], client["ClientSecret"]
    new_user(idp_client, pool_id)
    assert error_of(password_auth, idp_client, client_id, "alice", PASSWORD) == (
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {client_id}",
    )
    good = secret_hash(secret, "alice", client_id)
    tokens = password_auth(idp_client, client_id, "alice", PASSWORD, SECRET_HASH=good)
    refresh_token = tokens["AuthenticationResult"]["RefreshToken"]
    sub = idp_client.admin_get_user(UserPoolId=pool_id, Username="alice")["UserAttributes"][0]
    assert sub["Name"] == "sub"
    for name in ("alice", sub["Value"]):  # Cognito's clients use either for refresh
        refreshed = idp_client.initiate_auth(
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={
                "REFRESH_TOKEN": refresh_token,
                "SECRET_HASH": secret_hash(secret, name, client_id),
            },
        )
        assert "AccessToken" in refreshed["AuthenticationResult"]
    assert (
        error_of(
            idp_client.initiate_auth,
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token, "SECRET_HASH": good[::-1]},
        )[0]
        == "NotAuthorizedException"
    )


@pytest.mark.parametrize("auth_flow", ["REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"])
def test_refresh(idp_client, pool_id, auth_flow):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id)
    tokens = password_auth(idp_client, client_id, "alice", PASSWORD)["AuthenticationResult"]
    refreshed = idp_client.initiate_auth(
        ClientId=client_id,
        AuthFlow=auth_flow,
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )["AuthenticationResult"]
    assert refreshed["AccessToken"] != tokens["AccessToken"]
    assert error_of(
        idp_client.initiate_auth,
        ClientId=client_id,
        AuthFlow=auth_flow,
        AuthParameters={"REFRESH_TOKEN": "not-a-token"},
    ) == ("NotAuthorizedException", "Invalid Refresh Token")


def test_srp_sign_in_and_replay(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id)
    helper, request, challenge = srp_start(idp_client, pool_id, client_id, "Alice", PASSWORD)
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    parameters = challenge["ChallengeParameters"]
    assert parameters["USER_ID_FOR_SRP"] == parameters["USERNAME"] == "alice"
    responses = helper.process_challenge(parameters, request)
    answer = idp_client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    assert "IdToken" in answer["AuthenticationResult"]
    assert error_of(
        idp_client.respond_to_auth_challenge,
        ClientId=client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=responses,
    ) == ("NotAuthorizedException", INVALID_SESSION)


def test_srp_admin_respond_and_wrong_password(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id)
    helper, request, challenge = srp_start(idp_client, pool_id, client_id, "alice", WRONG)
    assert error_of(srp_answer, idp_client, client_id, helper, request, challenge) == (
        "NotAuthorizedException",
        INCORRECT,
    )
    helper, request, challenge = srp_start(idp_client, pool_id, client_id, "alice", PASSWORD)
    responses = helper.process_challenge(challenge["ChallengeParameters"], request)
    answer = idp_client.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=responses,
    )
    assert "AccessToken" in answer["AuthenticationResult"]


def test_pycognito_awssrp_authenticate_user(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id)
    helper = AWSSRP(
        username="alice",
        password=PASSWORD,
        pool_id=pool_id,
        client_id=client_id,
        client=idp_client,
    )
    assert "AccessToken" in helper.authenticate_user()["AuthenticationResult"]


def test_secret_block_from_another_client_is_refused(idp_client, pool_id):
    first = new_client(idp_client, pool_id)["ClientId"]
    second = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id)
    helper, request, challenge = srp_start(idp_client, pool_id, first, "alice", PASSWORD)
    assert error_of(srp_answer, idp_client, second, helper, request, challenge) == (
        "NotAuthorizedException",
        INVALID_SESSION,
    )


# Enumeration (security-test-plan.md A)


def test_enabled_unknown_user_looks_like_wrong_password(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id)
    wrong = error_of(password_auth, idp_client, client_id, "alice", WRONG)
    unknown = error_of(password_auth, idp_client, client_id, "nobody", WRONG)
    assert wrong == unknown == ("NotAuthorizedException", INCORRECT)


def test_enabled_unknown_user_gets_a_decoy_srp_challenge(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id)
    _, _, real = srp_start(idp_client, pool_id, client_id, "alice", PASSWORD)
    helper, request, fake = srp_start(idp_client, pool_id, client_id, "Nobody", PASSWORD)
    _, _, again = srp_start(idp_client, pool_id, client_id, "nobody", PASSWORD)
    assert fake["ChallengeName"] == real["ChallengeName"] == "PASSWORD_VERIFIER"
    real_parameters, fake_parameters = real["ChallengeParameters"], fake["ChallengeParameters"]
    assert set(fake_parameters) == set(real_parameters)
    assert set(fake) == set(real)
    assert len(fake_parameters["SALT"]) in (30, 32, 34)
    assert len(real_parameters["SALT"]) in (30, 32, 34)
    assert abs(len(fake_parameters["SECRET_BLOCK"]) - len(real_parameters["SECRET_BLOCK"])) < 12
    assert fake_parameters["SALT"] == again["ChallengeParameters"]["SALT"]
    assert fake_parameters["USER_ID_FOR_SRP"] == again["ChallengeParameters"]["USER_ID_FOR_SRP"]
    assert fake_parameters["SRP_B"] != again["ChallengeParameters"]["SRP_B"]
    assert error_of(srp_answer, idp_client, client_id, helper, request, fake) == (
        "NotAuthorizedException",
        INCORRECT,
    )


def test_enabled_decoy_in_email_pool_has_a_uuid_id(idp_client):
    pool_id = idp_client.create_user_pool(PoolName="e", UsernameAttributes=["email"])["UserPool"][
        "Id"
    ]
    client_id = new_client(idp_client, pool_id)["ClientId"]
    _, _, fake = srp_start(idp_client, pool_id, client_id, "ghost@example.com", PASSWORD)
    assert uuid.UUID(fake["ChallengeParameters"]["USER_ID_FOR_SRP"]).version == 4


def test_legacy_unknown_user_is_user_not_found(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id, pue="LEGACY")["ClientId"]
    expected = ("UserNotFoundException", "User does not exist.")
    assert error_of(password_auth, idp_client, client_id, "nobody", WRONG) == expected
    assert error_of(srp_start, idp_client, pool_id, client_id, "nobody", WRONG) == expected


# User states


def test_unconfirmed_user_is_told_only_after_a_correct_password(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    idp_client.sign_up(ClientId=client_id, Username="carol", Password=PASSWORD)
    assert error_of(password_auth, idp_client, client_id, "carol", WRONG) == (
        "NotAuthorizedException",
        INCORRECT,
    )
    assert error_of(password_auth, idp_client, client_id, "carol", PASSWORD) == (
        "UserNotConfirmedException",
        "User is not confirmed.",
    )


def test_disabled_and_reset_required_users(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id, "dave")
    idp_client.admin_disable_user(UserPoolId=pool_id, Username="dave")
    assert error_of(password_auth, idp_client, client_id, "dave", PASSWORD) == (
        "NotAuthorizedException",
        "User is disabled.",
    )
    new_user(
        idp_client,
        pool_id,
        "erin",
        UserAttributes=[
            {"Name": "email", "Value": "erin@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    idp_client.admin_reset_user_password(UserPoolId=pool_id, Username="erin")
    assert error_of(password_auth, idp_client, client_id, "erin", PASSWORD) == (
        "PasswordResetRequiredException",
        "Password reset required for the user",
    )


def test_new_password_required(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id, "frank", permanent=False)
    answer = password_auth(idp_client, client_id, "frank", PASSWORD)
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    parameters = answer["ChallengeParameters"]
    assert parameters["USER_ID_FOR_SRP"] == "frank"
    assert parameters["requiredAttributes"] == "[]"
    session = answer["Session"]

    def respond(new_password: str, session: str = session, **extra: str) -> Any:
        return idp_client.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses={"USERNAME": "frank", "NEW_PASSWORD": new_password, **extra},
        )

    assert error_of(respond, "short")[0] == "InvalidPasswordException"
    assert error_of(respond, "N3w!password", session=session[:-8] + "AAAAAAA=") == (
        "NotAuthorizedException",
        INVALID_SESSION,
    )
    done = respond("N3w!password", **{"userAttributes.name": "Frank"})
    assert "IdToken" in done["AuthenticationResult"]
    assert error_of(respond, "N3w!password") == ("NotAuthorizedException", INVALID_SESSION)
    user = idp_client.admin_get_user(UserPoolId=pool_id, Username="frank")
    assert user["UserStatus"] == "CONFIRMED"
    assert {"Name": "name", "Value": "Frank"} in user["UserAttributes"]
    assert (
        "AccessToken"
        in password_auth(idp_client, client_id, "frank", "N3w!password")["AuthenticationResult"]
    )


def test_new_password_required_through_srp_and_admin_respond(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id, "gina", permanent=False)
    helper, request, challenge = srp_start(idp_client, pool_id, client_id, "gina", PASSWORD)
    answer = srp_answer(idp_client, client_id, helper, request, challenge)
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert error_of(
        idp_client.admin_respond_to_auth_challenge,
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        ChallengeResponses={"USERNAME": "gina", "NEW_PASSWORD": "N3w!password"},
    ) == ("InvalidParameterException", "Missing required parameter Session")
    done = idp_client.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "gina", "NEW_PASSWORD": "N3w!password"},
    )
    assert "RefreshToken" in done["AuthenticationResult"]


# ChangePassword


def test_change_password(idp_client):
    pool_id = idp_client.create_user_pool(
        PoolName="h", Policies={"PasswordPolicy": {"MinimumLength": 8, "PasswordHistorySize": 2}}
    )["UserPool"]["Id"]
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id)
    token = password_auth(idp_client, client_id, "alice", PASSWORD)["AuthenticationResult"][
        "AccessToken"
    ]

    def change(previous: str, proposed: str) -> Any:
        return idp_client.change_password(
            AccessToken=token, PreviousPassword=previous, ProposedPassword=proposed
        )

    assert error_of(change, WRONG, "N3w!password") == ("NotAuthorizedException", INCORRECT)
    assert error_of(change, PASSWORD, "short")[0] == "InvalidPasswordException"
    assert error_of(change, PASSWORD, PASSWORD)[0] == "PasswordHistoryPolicyViolationException"
    change(PASSWORD, "N3w!password")
    assert error_of(password_auth, idp_client, client_id, "alice", PASSWORD)[1] == INCORRECT
    password_auth(idp_client, client_id, "alice", "N3w!password")
    assert error_of(idp_client.change_password, AccessToken="x.y.z", PreviousPassword=PASSWORD,
                    ProposedPassword="N3w!password2")[0] == "NotAuthorizedException"  # fmt: skip


# Lockout (security-test-plan.md B)


def test_lockout_after_five_failures_shared_by_flows_case_and_alias(idp_client):
    pool_id = idp_client.create_user_pool(PoolName="l", AliasAttributes=["email"])["UserPool"]["Id"]
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(
        idp_client,
        pool_id,
        "bob",
        UserAttributes=[
            {"Name": "email", "Value": "bob@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    for name in ("bob", "BOB", "bob@example.com", "Bob"):
        assert error_of(password_auth, idp_client, client_id, name, WRONG)[1] == INCORRECT
    helper, request, challenge = srp_start(idp_client, pool_id, client_id, "bOb", WRONG)
    assert error_of(srp_answer, idp_client, client_id, helper, request, challenge)[1] == INCORRECT
    # Locked now: even the right password, through any flow and name, is refused.
    assert error_of(password_auth, idp_client, client_id, "Bob", PASSWORD) == (
        "NotAuthorizedException",
        EXCEEDED,
    )
    assert error_of(
        idp_client.admin_initiate_auth,
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "BOB@example.com", "PASSWORD": PASSWORD},
    ) == ("NotAuthorizedException", EXCEEDED)


def test_lockout_applies_to_unknown_names_too(idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    for _ in range(5):
        assert error_of(password_auth, idp_client, client_id, "ghost", WRONG)[1] == INCORRECT
    assert error_of(password_auth, idp_client, client_id, "GHOST", WRONG)[1] == EXCEEDED


def stored_failures(server: RunningServer, pool_id: str) -> int:
    async def read() -> int:
        store = Store(server.settings.store_url())
        try:
            async with store.read() as conn:
                query = sa.select(sa.func.sum(sign_in_failures.c.failures)).where(
                    sign_in_failures.c.pool_id == pool_id
                )
                return int((await conn.execute(query)).scalar() or 0)
        finally:
            await store.close()

    return asyncio.run(read())


def test_fifty_parallel_wrong_passwords_are_counted_exactly(server, idp_client, pool_id):
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id)

    def attempt(_index: int) -> tuple[str, str]:
        own = make_client(server.url)
        return error_of(password_auth, own, client_id, "alice", WRONG)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(attempt, range(50)))
    assert {code for code, _ in results} == {"NotAuthorizedException"}
    checked = sum(message == INCORRECT for _, message in results)
    refused = sum(message == EXCEEDED for _, message in results)
    assert checked + refused == 50
    # Every password check was counted, once: nothing lost to a read-modify-write race. Each
    # attempt is claimed before its check, so only the five before the lock (plus any made
    # after a lockout second expired) were checked at all.
    assert stored_failures(server, pool_id) == checked
    assert checked >= 5 and refused >= 1


def test_many_parallel_sign_ins_with_the_right_password_all_succeed(server, idp_client, pool_id):
    """Attempts in flight are not failures: twenty concurrent correct sign-ins of one user
    (a CI fleet sharing a test account) are never answered "Password attempts exceeded"."""
    client_id = new_client(idp_client, pool_id)["ClientId"]
    new_user(idp_client, pool_id)

    def attempt(_index: int) -> str:
        own = make_client(server.url)
        result = password_auth(own, client_id, "alice", PASSWORD)["AuthenticationResult"]
        return str(result["TokenType"])

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(attempt, range(20))) == ["Bearer"] * 20
    assert stored_failures(server, pool_id) == 0
