"""Passkeys over the wire with a real authenticator: Chromium's virtual authenticator answers
StartWebAuthnRegistration's options and the WEB_AUTHN challenge's CREDENTIAL_REQUEST_OPTIONS from
a page at http://localhost (the pool's relying party id), and boto3 hands its credentials back.

Security cases: a replayed assertion, one from another origin (validly signed with the
authenticator's own key), another user's passkey, a deleted passkey and a forged signature are
all refused, and failures count toward the sign-in lockout.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import cbor2
import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import RunningServer
from tests.wire.passkey_browser import (
    CHROMIUM,
    Authenticator,
    from_base64url,
    resign,
    to_base64url,
)

PASSWORD = "Passw0rd!"
RP_ID = "localhost"
FLOWS = ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
INCORRECT = "Incorrect username or password."


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM.exists(), "install Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def origin(server: RunningServer) -> str:
    return f"http://localhost:{server.url.rsplit(':', 1)[1]}"


@pytest.fixture
def devices(browser: Any, origin: str) -> Iterator[Callable[[], Authenticator]]:
    """Makes authenticators: one holds a single passkey per account (excludeCredentials)."""
    made: list[Authenticator] = []

    def make() -> Authenticator:
        made.append(Authenticator(browser, origin))
        return made[-1]

    try:
        yield make
    finally:
        for device in made:
            device.close()


@pytest.fixture
def authenticator(devices: Callable[[], Authenticator]) -> Authenticator:
    return devices()


class Pool:
    """A pool offering passkeys (RP id localhost, user verification required) and an app."""

    def __init__(self, client: Any, *, verification: str = "required") -> None:
        self.client = client
        self.id = client.create_user_pool(
            PoolName=f"passkeys-{uuid.uuid4().hex[:8]}",
            Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
        )["UserPool"]["Id"]
        client.set_user_pool_mfa_config(
            UserPoolId=self.id,
            MfaConfiguration="OFF",
            WebAuthnConfiguration={"RelyingPartyId": RP_ID, "UserVerification": verification},
        )
        self.client_id = self.app()

    def app(self) -> str:
        created = self.client.create_user_pool_client(
            UserPoolId=self.id, ClientName="app", ExplicitAuthFlows=FLOWS
        )
        return str(created["UserPoolClient"]["ClientId"])

    def user(self) -> str:
        name = f"user{uuid.uuid4().hex[:8]}"
        self.client.admin_create_user(UserPoolId=self.id, Username=name, MessageAction="SUPPRESS")
        self.client.admin_set_user_password(
            UserPoolId=self.id, Username=name, Password=PASSWORD, Permanent=True
        )
        return name

    def access_token(self, name: str, client_id: str | None = None) -> str:
        answer = self.client.initiate_auth(
            ClientId=client_id or self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
        )
        return str(answer["AuthenticationResult"]["AccessToken"])

    def register(self, authenticator: Authenticator, name: str) -> dict[str, Any]:
        """Register a passkey for `name`; the credential the browser made."""
        token = self.access_token(name)
        options = self.client.start_web_authn_registration(AccessToken=token)
        credential = authenticator.create(options["CredentialCreationOptions"])
        self.client.complete_web_authn_registration(AccessToken=token, Credential=credential)
        return credential

    def passkey_challenge(self, name: str) -> dict[str, Any]:
        answer = self.client.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={"USERNAME": name, "PREFERRED_CHALLENGE": "WEB_AUTHN"},
        )
        assert answer["ChallengeName"] == "WEB_AUTHN", answer
        return dict(answer)

    def answer(self, challenge: dict[str, Any], name: str, credential: dict[str, Any]) -> Any:
        return self.client.respond_to_auth_challenge(
            ClientId=self.client_id,
            ChallengeName="WEB_AUTHN",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": name, "CREDENTIAL": json.dumps(credential)},
        )


def request_options(challenge: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = json.loads(
        challenge["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]
    )
    return options


def test_register_list_and_sign_in_with_a_passkey(
    idp_client: Any, authenticator: Authenticator
) -> None:
    pool = Pool(idp_client)
    name = pool.user()
    token = pool.access_token(name)
    options = idp_client.start_web_authn_registration(AccessToken=token)[
        "CredentialCreationOptions"
    ]
    assert options["rp"]["id"] == RP_ID
    assert options["user"]["name"] == name
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert {param["alg"] for param in options["pubKeyCredParams"]} >= {-7, -257}
    credential = authenticator.create(options)
    assert idp_client.complete_web_authn_registration(AccessToken=token, Credential=credential)

    listed = idp_client.list_web_authn_credentials(AccessToken=token)["Credentials"]
    assert len(listed) == 1
    assert listed[0]["CredentialId"] == credential["id"]
    assert listed[0]["RelyingPartyId"] == RP_ID
    assert listed[0]["AuthenticatorAttachment"] == "platform"
    assert listed[0]["AuthenticatorTransports"] == ["internal"]
    assert listed[0]["FriendlyCredentialName"]
    assert listed[0]["CreatedAt"]
    factors = idp_client.get_user_auth_factors(AccessToken=token)
    assert "WEB_AUTHN" in factors["ConfiguredUserAuthFactors"]

    # Offered among the first factors, and chosen by preference.
    select = idp_client.initiate_auth(
        ClientId=pool.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": name}
    )
    assert select["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "WEB_AUTHN"]
    challenge = pool.passkey_challenge(name)
    request = request_options(challenge)
    assert request["rpId"] == RP_ID
    assert request["userVerification"] == "required"
    assert [item["id"] for item in request["allowCredentials"]] == [credential["id"]]
    assertion = authenticator.get(request)
    assert from_base64url(assertion["response"]["userHandle"])  # a discoverable credential
    result = pool.answer(challenge, name, assertion)["AuthenticationResult"]
    claims = json.loads(from_base64url(result["IdToken"].split(".")[1]))
    assert claims["cognito:username"] == name
    assert result["RefreshToken"]


def test_select_challenge_answer_web_authn_starts_the_passkey_challenge(
    idp_client: Any, authenticator: Authenticator
) -> None:
    pool = Pool(idp_client, verification="preferred")
    name = pool.user()
    pool.register(authenticator, name)
    select = idp_client.initiate_auth(
        ClientId=pool.client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": name}
    )
    challenge = idp_client.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="SELECT_CHALLENGE",
        Session=select["Session"],
        ChallengeResponses={"USERNAME": name, "ANSWER": "WEB_AUTHN"},
    )
    assert challenge["ChallengeName"] == "WEB_AUTHN"
    assert request_options(challenge)["userVerification"] == "preferred"
    assertion = authenticator.get(request_options(challenge))
    assert pool.answer(challenge, name, assertion)["AuthenticationResult"]["AccessToken"]


def test_without_a_passkey_web_authn_is_not_offered(idp_client: Any) -> None:
    pool = Pool(idp_client)
    name = pool.user()
    answer = idp_client.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": name, "PREFERRED_CHALLENGE": "WEB_AUTHN"},
    )
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert "WEB_AUTHN" not in answer["AvailableChallenges"]


def test_a_replayed_assertion_is_refused(idp_client: Any, authenticator: Authenticator) -> None:
    pool = Pool(idp_client)
    name = pool.user()
    pool.register(authenticator, name)
    challenge = pool.passkey_challenge(name)
    assertion = authenticator.get(request_options(challenge))
    assert pool.answer(challenge, name, assertion)["AuthenticationResult"]
    # The same answer again: its Session is spent.
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match="Invalid session"):
        pool.answer(challenge, name, assertion)
    # Against a fresh challenge: it signed the old one (and an old counter).
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match=INCORRECT):
        pool.answer(pool.passkey_challenge(name), name, assertion)


def test_an_assertion_from_another_origin_is_refused(
    idp_client: Any, authenticator: Authenticator
) -> None:
    pool = Pool(idp_client)
    name = pool.user()
    credential = pool.register(authenticator, name)
    key = authenticator.private_key(credential["id"])
    # Control: signed again by our own hand, the same origin passes.
    challenge = pool.passkey_challenge(name)
    honest = resign(authenticator.get(request_options(challenge)), key)
    assert pool.answer(challenge, name, honest)["AuthenticationResult"]
    # A valid signature by the right key, but collected at a phishing origin.
    for foreign in ("https://evil.example", "http://localhost.evil.example", "null"):
        challenge = pool.passkey_challenge(name)
        phished = resign(authenticator.get(request_options(challenge)), key, origin=foreign)
        with pytest.raises(idp_client.exceptions.NotAuthorizedException, match=INCORRECT):
            pool.answer(challenge, name, phished)


def test_another_users_passkey_is_refused(idp_client: Any, authenticator: Authenticator) -> None:
    pool = Pool(idp_client)
    alice, mallory = pool.user(), pool.user()
    pool.register(authenticator, alice)
    mallorys = pool.register(authenticator, mallory)
    challenge = pool.passkey_challenge(alice)
    options = request_options(challenge)
    options["allowCredentials"] = [{"type": "public-key", "id": mallorys["id"]}]
    assertion = authenticator.get(options)
    assert assertion["id"] == mallorys["id"]
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match=INCORRECT):
        pool.answer(challenge, alice, assertion)


def test_a_deleted_passkey_is_refused(idp_client: Any, authenticator: Authenticator) -> None:
    pool = Pool(idp_client)
    name = pool.user()
    credential = pool.register(authenticator, name)
    token = pool.access_token(name)
    challenge = pool.passkey_challenge(name)
    assertion = authenticator.get(request_options(challenge))
    idp_client.delete_web_authn_credential(AccessToken=token, CredentialId=credential["id"])
    assert idp_client.list_web_authn_credentials(AccessToken=token)["Credentials"] == []
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match=INCORRECT):
        pool.answer(challenge, name, assertion)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.delete_web_authn_credential(AccessToken=token, CredentialId=credential["id"])
    answer = idp_client.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": name, "PREFERRED_CHALLENGE": "WEB_AUTHN"},
    )
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"


def test_forged_signatures_are_refused_and_count_toward_the_lockout(
    idp_client: Any, authenticator: Authenticator
) -> None:
    pool = Pool(idp_client)
    name = pool.user()
    pool.register(authenticator, name)
    for _ in range(5):
        challenge = pool.passkey_challenge(name)
        assertion = authenticator.get(request_options(challenge))
        signature = bytearray(from_base64url(assertion["response"]["signature"]))
        signature[-1] ^= 0x01
        assertion["response"]["signature"] = to_base64url(bytes(signature))
        with pytest.raises(idp_client.exceptions.NotAuthorizedException, match=INCORRECT):
            pool.answer(challenge, name, assertion)
    with pytest.raises(
        idp_client.exceptions.NotAuthorizedException, match="Password attempts exceeded"
    ):
        pool.access_token(name)


def test_registration_checks(
    idp_client: Any, authenticator: Authenticator, devices: Callable[[], Authenticator]
) -> None:
    pool = Pool(idp_client)
    name = pool.user()
    token = pool.access_token(name)
    errors = idp_client.exceptions

    def started(access_token: str = token) -> dict[str, Any]:
        options = idp_client.start_web_authn_registration(AccessToken=access_token)
        return dict(options["CredentialCreationOptions"])

    credential = authenticator.create(started())
    # Another origin, another relying party, no user verification: refused by name.
    with pytest.raises(errors.WebAuthnOriginNotAllowedException):
        idp_client.complete_web_authn_registration(
            AccessToken=token,
            Credential=with_client_data(credential, origin="https://evil.example"),
        )
    with pytest.raises(errors.WebAuthnRelyingPartyMismatchException):
        idp_client.complete_web_authn_registration(
            AccessToken=token, Credential=with_authenticator_data(credential, rp_id="example.com")
        )
    with pytest.raises(errors.WebAuthnCredentialNotSupportedException):
        idp_client.complete_web_authn_registration(
            AccessToken=token, Credential=with_authenticator_data(credential, flags_off=0x04)
        )
    # The genuine answer registers once; the challenge is then spent.
    idp_client.complete_web_authn_registration(AccessToken=token, Credential=credential)
    with pytest.raises(errors.WebAuthnChallengeNotFoundException):
        idp_client.complete_web_authn_registration(AccessToken=token, Credential=credential)
    # A challenge made for one app client cannot be completed with another's token.
    other_token = pool.access_token(name, pool.app())
    second = devices().create(started())
    with pytest.raises(errors.WebAuthnClientMismatchException):
        idp_client.complete_web_authn_registration(AccessToken=other_token, Credential=second)
    # Nor for another user.
    with pytest.raises(errors.WebAuthnChallengeNotFoundException):
        idp_client.complete_web_authn_registration(
            AccessToken=pool.access_token(pool.user()), Credential=second
        )
    with pytest.raises(errors.InvalidParameterException):
        idp_client.complete_web_authn_registration(AccessToken=token, Credential={"id": "x"})


def test_passkeys_need_the_pool_to_allow_them(idp_client: Any) -> None:
    pool_id = idp_client.create_user_pool(PoolName=f"plain-{uuid.uuid4().hex[:8]}")["UserPool"][
        "Id"
    ]
    client_id = idp_client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=FLOWS
    )["UserPoolClient"]["ClientId"]
    idp_client.admin_create_user(UserPoolId=pool_id, Username="plain", MessageAction="SUPPRESS")
    idp_client.admin_set_user_password(
        UserPoolId=pool_id, Username="plain", Password=PASSWORD, Permanent=True
    )
    token = idp_client.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "plain", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    with pytest.raises(idp_client.exceptions.WebAuthnNotEnabledException):
        idp_client.start_web_authn_registration(AccessToken=token)
    idp_client.update_user_pool(
        UserPoolId=pool_id,
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
    )
    # Allowed, but with neither a relying party id nor a domain.
    with pytest.raises(idp_client.exceptions.WebAuthnConfigurationMissingException):
        idp_client.start_web_authn_registration(AccessToken=token)
    # A prefix domain gives the relying party id, as in Cognito.
    prefix = f"passkeys-{uuid.uuid4().hex[:8]}"
    idp_client.create_user_pool_domain(UserPoolId=pool_id, Domain=prefix)
    options = idp_client.start_web_authn_registration(AccessToken=token)
    assert options["CredentialCreationOptions"]["rp"]["id"] == (
        f"{prefix}.auth.us-east-1.amazoncognito.com"
    )
    assert idp_client.list_web_authn_credentials(AccessToken=token)["Credentials"] == []


def with_client_data(credential: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A registration response whose clientDataJSON says otherwise (with attestation "none",
    nothing signs it: only the server's checks stand in the way)."""
    response = credential["response"]
    collected = {**json.loads(from_base64url(response["clientDataJSON"])), **fields}
    encoded = to_base64url(json.dumps(collected).encode())
    return {**credential, "response": {**response, "clientDataJSON": encoded}}


def with_authenticator_data(
    credential: dict[str, Any], *, rp_id: str | None = None, flags_off: int = 0
) -> dict[str, Any]:
    """A registration response whose (unsigned, "none") attestation object carries another RP
    id hash or lacks some flags."""
    response = credential["response"]
    attestation = cbor2.loads(from_base64url(response["attestationObject"]))
    data = bytearray(attestation["authData"])
    if rp_id is not None:
        data[:32] = hashlib.sha256(rp_id.encode()).digest()
    data[32] &= ~flags_off & 0xFF
    attestation["authData"] = bytes(data)
    encoded = to_base64url(cbor2.dumps(attestation))
    return {**credential, "response": {**response, "attestationObject": encoded}}


def test_list_pages_through_passkeys(idp_client: Any, devices: Callable[[], Authenticator]) -> None:
    pool = Pool(idp_client)
    name = pool.user()
    made = [pool.register(devices(), name)["id"] for _ in range(3)]
    token = pool.access_token(name)
    first = idp_client.list_web_authn_credentials(AccessToken=token, MaxResults=2)
    second = idp_client.list_web_authn_credentials(
        AccessToken=token, MaxResults=2, NextToken=first["NextToken"]
    )
    assert "NextToken" not in second
    listed = [item["CredentialId"] for item in first["Credentials"] + second["Credentials"]]
    assert sorted(listed) == sorted(made)


def test_admin_sign_in_with_a_passkey(idp_client: Any, authenticator: Authenticator) -> None:
    pool = Pool(idp_client)
    assert idp_client.get_user_pool_mfa_config(UserPoolId=pool.id)["WebAuthnConfiguration"] == {
        "RelyingPartyId": RP_ID,
        "UserVerification": "required",
    }
    name = pool.user()
    pool.register(authenticator, name)
    challenge = idp_client.admin_initiate_auth(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": name, "PREFERRED_CHALLENGE": "WEB_AUTHN"},
    )
    assertion = authenticator.get(request_options(challenge))
    answer = idp_client.admin_respond_to_auth_challenge(
        UserPoolId=pool.id,
        ClientId=pool.client_id,
        ChallengeName="WEB_AUTHN",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": name, "CREDENTIAL": json.dumps(assertion)},
    )
    assert answer["AuthenticationResult"]["IdToken"]
    # A CREDENTIAL that is not an AuthenticationResponseJSON is a bad parameter, not a guess.
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        pool.answer(pool.passkey_challenge(name), name, {"id": "not a credential"})
