"""Remembered devices over the wire (boto3): NewDeviceMetadata, ConfirmDevice and the device
operations with their errors, DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER skipping MFA, and
refresh bound to the device.

The client side of the device SRP step is computed here as cognito-surface.md §9 describes
(x_d = H(pad_hex(salt) | H(DeviceGroupKey | DeviceKey | ":" | devicePassword))), using only the
public helpers of cognate.auth.srp (hashing, padding, the signature layout).
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import shutil
import subprocess
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import pyotp
import pytest

from cognate.auth import srp
from tests.wire.test_auth_triggers import ARN, Env, env  # noqa: F401 (env: a fixture)
from tests.wire.test_auth_triggers import PASSWORD as TRIGGER_PASSWORD
from tests.wire.test_srp_clients import JS_DIR, node_client  # noqa: F401 (a fixture)

PASSWORD = "Dev1ce!pass"


def unverified(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def device_pool(idp_client: Any, **configuration: bool) -> tuple[str, str]:
    """A pool tracking devices, with TOTP MFA optional, a client and one user."""
    pool_id = idp_client.create_user_pool(
        PoolName=f"devices-{uuid.uuid4().hex[:8]}",
        DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
            **configuration,
        },
    )["UserPool"]["Id"]
    idp_client.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="OPTIONAL",
    )
    client_id = idp_client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="devices",
        ExplicitAuthFlows=[
            "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
        ],
    )["UserPoolClient"]["ClientId"]  # fmt: skip
    idp_client.admin_create_user(UserPoolId=pool_id, Username="dora", MessageAction="SUPPRESS")
    idp_client.admin_set_user_password(
        UserPoolId=pool_id, Username="dora", Password=PASSWORD, Permanent=True
    )
    return pool_id, client_id


def sign_in(idp_client: Any, client_id: str, device_key: str | None = None) -> Any:
    parameters = {"USERNAME": "dora", "PASSWORD": PASSWORD}
    if device_key is not None:
        parameters["DEVICE_KEY"] = device_key
    return idp_client.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=parameters
    )


class DeviceSecret:
    """What amazon-cognito-identity-js keeps for a device: its keys and random password."""

    def __init__(self, metadata: dict[str, str]) -> None:
        self.key = metadata["DeviceKey"]
        self.group_key = metadata["DeviceGroupKey"]
        self.password = base64.b64encode(secrets.token_bytes(40)).decode()
        self.salt = secrets.token_bytes(16)

    def verifier_config(self) -> dict[str, str]:
        x = srp.compute_x(self.group_key, self.key, self.password, self.salt)
        verifier = pow(srp.G, x, srp.N)
        return {
            "PasswordVerifier": base64.b64encode(bytes.fromhex(srp.pad_hex(verifier))).decode(),
            "Salt": base64.b64encode(
                bytes.fromhex(srp.pad_hex(int.from_bytes(self.salt, "big")))
            ).decode(),
        }

    def prove(self, idp_client: Any, client_id: str, challenge: Any, *, password: str = "") -> Any:
        """Answer DEVICE_SRP_AUTH, then DEVICE_PASSWORD_VERIFIER, as a device client does."""
        small_a = secrets.randbits(1024)
        big_a = pow(srp.G, small_a, srp.N)
        verifier_challenge = idp_client.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="DEVICE_SRP_AUTH", Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "dora", "DEVICE_KEY": self.key,
                                "SRP_A": format(big_a, "x")},
        )  # fmt: skip
        assert verifier_challenge["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
        parameters = verifier_challenge["ChallengeParameters"]
        assert parameters["DEVICE_KEY"] == self.key
        assert parameters["SALT"] == srp.pad_hex(int.from_bytes(self.salt, "big"))
        big_b = int(parameters["SRP_B"], 16)
        u = int(srp.hex_hash(srp.pad_hex(big_a) + srp.pad_hex(big_b)), 16)
        salt = bytes.fromhex(parameters["SALT"])
        x = srp.compute_x(self.group_key, self.key, password or self.password, salt)
        shared = pow(big_b - srp.K * pow(srp.G, x, srp.N), small_a + u * x, srp.N)
        prk = hmac.digest(
            bytes.fromhex(srp.pad_hex(u)), bytes.fromhex(srp.pad_hex(shared)), "sha256"
        )
        key = hmac.digest(prk, b"Caldera Derived Key\x01", "sha256")[:16]
        timestamp = srp.format_timestamp(datetime.now(UTC))
        block = parameters["SECRET_BLOCK"]
        signature = srp.expected_signature(
            key, self.group_key, self.key, base64.b64decode(block), timestamp
        )
        return idp_client.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="DEVICE_PASSWORD_VERIFIER",
            Session=verifier_challenge["Session"],
            ChallengeResponses={
                "USERNAME": parameters["USERNAME"], "DEVICE_KEY": self.key,
                "PASSWORD_CLAIM_SECRET_BLOCK": block, "PASSWORD_CLAIM_SIGNATURE": signature,
                "TIMESTAMP": timestamp,
            },
        )  # fmt: skip


def enable_totp(idp_client: Any, access_token: str) -> str:
    secret = idp_client.associate_software_token(AccessToken=access_token)["SecretCode"]
    code = pyotp.TOTP(secret).at(time.time() - 30)
    idp_client.verify_software_token(AccessToken=access_token, UserCode=code)
    idp_client.set_user_mfa_preference(
        AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    return str(secret)


def confirmed_device(idp_client: Any, client_id: str) -> tuple[DeviceSecret, Any]:
    result = sign_in(idp_client, client_id)["AuthenticationResult"]
    device = DeviceSecret(result["NewDeviceMetadata"])
    confirmation = idp_client.confirm_device(
        AccessToken=result["AccessToken"], DeviceKey=device.key,
        DeviceSecretVerifierConfig=device.verifier_config(), DeviceName="laptop",
    )  # fmt: skip
    return device, confirmation


def test_new_device_metadata_and_device_key_claim(idp_client):
    _pool_id, client_id = device_pool(idp_client)
    result = sign_in(idp_client, client_id)["AuthenticationResult"]
    metadata = result["NewDeviceMetadata"]
    assert metadata["DeviceKey"].startswith("us-east-1_")
    assert metadata["DeviceGroupKey"].startswith("-")
    assert unverified(result["AccessToken"])["device_key"] == metadata["DeviceKey"]


def test_no_device_metadata_without_device_configuration(idp_client, pool_id):
    client_id = idp_client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="plain", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp_client.admin_create_user(UserPoolId=pool_id, Username="dora", MessageAction="SUPPRESS")
    idp_client.admin_set_user_password(
        UserPoolId=pool_id, Username="dora", Password=PASSWORD, Permanent=True
    )
    result = sign_in(idp_client, client_id)["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result
    assert "device_key" not in unverified(result["AccessToken"])


def test_confirm_get_list_update_forget(idp_client):
    pool_id, client_id = device_pool(idp_client)
    device, confirmation = confirmed_device(idp_client, client_id)
    assert confirmation["UserConfirmationNecessary"] is False
    access = sign_in(idp_client, client_id, device.key)
    # Remembered at once: the next sign-in naming it is asked for the device proof.
    assert access["ChallengeName"] == "DEVICE_SRP_AUTH"
    token = device.prove(idp_client, client_id, access)["AuthenticationResult"]["AccessToken"]

    found = idp_client.get_device(AccessToken=token, DeviceKey=device.key)["Device"]
    attributes = {item["Name"]: item["Value"] for item in found["DeviceAttributes"]}
    assert attributes["device_name"] == "laptop"
    assert attributes["dev:device_remembered_status"] == "remembered"
    assert attributes["device_status"] == "valid"
    assert "last_ip_used" in attributes
    assert {"DeviceCreateDate", "DeviceLastModifiedDate", "DeviceLastAuthenticatedDate"} <= set(
        found
    )
    admin = idp_client.admin_get_device(UserPoolId=pool_id, Username="dora", DeviceKey=device.key)
    assert admin["Device"]["DeviceKey"] == device.key

    idp_client.update_device_status(
        AccessToken=token, DeviceKey=device.key, DeviceRememberedStatus="not_remembered"
    )
    listed = idp_client.list_devices(AccessToken=token)["Devices"]
    assert [item["DeviceKey"] for item in listed] == [device.key]
    status = {item["Name"]: item["Value"] for item in listed[0]["DeviceAttributes"]}
    assert status["dev:device_remembered_status"] == "not_remembered"
    # Not remembered: the device no longer stands in for anything; the sign-in just completes.
    assert "AuthenticationResult" in sign_in(idp_client, client_id, device.key)
    idp_client.admin_update_device_status(
        UserPoolId=pool_id, Username="dora", DeviceKey=device.key,
        DeviceRememberedStatus="remembered",
    )  # fmt: skip
    assert sign_in(idp_client, client_id, device.key)["ChallengeName"] == "DEVICE_SRP_AUTH"

    idp_client.forget_device(AccessToken=token, DeviceKey=device.key)
    assert idp_client.list_devices(AccessToken=token)["Devices"] == []
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException, match="Device"):
        idp_client.get_device(AccessToken=token, DeviceKey=device.key)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException, match="Device"):
        sign_in(idp_client, client_id, device.key)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.admin_forget_device(UserPoolId=pool_id, Username="dora", DeviceKey=device.key)


def refresh(idp_client: Any, client_id: str, result: Any, device_key: str) -> Any:
    return idp_client.initiate_auth(
        ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"], "DEVICE_KEY": device_key},
    )  # fmt: skip


def test_forgetting_a_device_ends_its_refresh_tokens(idp_client):
    """ForgetDevice and AdminForgetDevice: the forgotten device's refresh tokens fail from
    then on ("all future calls to revalidate that device's refresh tokens will fail"), while
    access tokens already issued stay valid and other devices' refresh tokens keep working."""
    pool_id, client_id = device_pool(idp_client)
    kept = sign_in(idp_client, client_id)["AuthenticationResult"]
    kept_key = kept["NewDeviceMetadata"]["DeviceKey"]
    for forget in ("ForgetDevice", "AdminForgetDevice"):
        device, _ = confirmed_device(idp_client, client_id)
        challenge = sign_in(idp_client, client_id, device.key)
        result = device.prove(idp_client, client_id, challenge)["AuthenticationResult"]
        assert "AuthenticationResult" in refresh(idp_client, client_id, result, device.key)
        if forget == "ForgetDevice":
            idp_client.forget_device(AccessToken=result["AccessToken"], DeviceKey=device.key)
        else:
            idp_client.admin_forget_device(
                UserPoolId=pool_id, Username="dora", DeviceKey=device.key
            )
        with pytest.raises(idp_client.exceptions.NotAuthorizedException):
            refresh(idp_client, client_id, result, device.key)
        assert idp_client.get_user(AccessToken=result["AccessToken"])["Username"] == "dora"
    assert "AuthenticationResult" in refresh(idp_client, client_id, kept, kept_key)


def test_device_errors(idp_client):
    pool_id, client_id = device_pool(idp_client)
    result = sign_in(idp_client, client_id)["AuthenticationResult"]
    device = DeviceSecret(result["NewDeviceMetadata"])
    token = result["AccessToken"]
    unknown = f"us-east-1_{uuid.uuid4()}"
    errors = idp_client.exceptions
    with pytest.raises(errors.ResourceNotFoundException, match="Device"):
        idp_client.confirm_device(
            AccessToken=token,
            DeviceKey=unknown,
            DeviceSecretVerifierConfig=device.verifier_config(),
        )
    with pytest.raises(errors.InvalidParameterException):
        idp_client.confirm_device(
            AccessToken=token, DeviceKey=device.key,
            DeviceSecretVerifierConfig={"PasswordVerifier": "not base64!", "Salt": "AA=="},
        )  # fmt: skip
    # A pending device is not listed until it is confirmed.
    assert idp_client.list_devices(AccessToken=token)["Devices"] == []
    idp_client.confirm_device(
        AccessToken=token, DeviceKey=device.key, DeviceSecretVerifierConfig=device.verifier_config()
    )
    with pytest.raises(errors.DeviceKeyExistsException):
        idp_client.confirm_device(
            AccessToken=token,
            DeviceKey=device.key,
            DeviceSecretVerifierConfig=device.verifier_config(),
        )
    with pytest.raises(errors.ResourceNotFoundException):
        idp_client.update_device_status(
            AccessToken=token, DeviceKey=unknown, DeviceRememberedStatus="remembered"
        )
    with pytest.raises(errors.UserNotFoundException):
        idp_client.admin_forget_device(UserPoolId=pool_id, Username="nobody", DeviceKey=device.key)
    with pytest.raises(errors.ResourceNotFoundException):
        idp_client.admin_list_devices(UserPoolId=pool_id, Username="nobody")
    with pytest.raises(errors.NotAuthorizedException):
        idp_client.list_devices(AccessToken="not-a-token")
    with pytest.raises(errors.InvalidParameterException, match="limit"):
        idp_client.list_devices(AccessToken=token, Limit=61)


def test_list_devices_pages(idp_client):
    pool_id, client_id = device_pool(idp_client)
    keys = sorted(confirmed_device(idp_client, client_id)[0].key for _ in range(3))
    token = sign_in(idp_client, client_id)["AuthenticationResult"]["AccessToken"]
    first = idp_client.list_devices(AccessToken=token, Limit=2)
    assert [item["DeviceKey"] for item in first["Devices"]] == keys[:2]
    second = idp_client.admin_list_devices(
        UserPoolId=pool_id, Username="dora", Limit=2, PaginationToken=first["PaginationToken"]
    )
    assert [item["DeviceKey"] for item in second["Devices"]] == keys[2:]
    assert "PaginationToken" not in second


def test_remembered_device_skips_mfa_and_binds_refresh(idp_client):
    _pool_id, client_id = device_pool(idp_client)
    first = sign_in(idp_client, client_id)["AuthenticationResult"]
    secret = enable_totp(idp_client, first["AccessToken"])
    challenge = sign_in(idp_client, client_id)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    answered = idp_client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "dora",
                            "SOFTWARE_TOKEN_MFA_CODE": pyotp.TOTP(secret).now()},
    )["AuthenticationResult"]  # fmt: skip
    device = DeviceSecret(answered["NewDeviceMetadata"])
    idp_client.confirm_device(
        AccessToken=answered["AccessToken"], DeviceKey=device.key,
        DeviceSecretVerifierConfig=device.verifier_config(), DeviceName="phone",
    )  # fmt: skip

    challenge = sign_in(idp_client, client_id, device.key)
    assert challenge["ChallengeName"] == "DEVICE_SRP_AUTH"  # not SOFTWARE_TOKEN_MFA
    with pytest.raises(idp_client.exceptions.NotAuthorizedException):
        device.prove(idp_client, client_id, challenge, password="wrong device password")
    challenge = sign_in(idp_client, client_id, device.key)
    result = device.prove(idp_client, client_id, challenge)["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result
    assert unverified(result["AccessToken"])["device_key"] == device.key

    refreshed = idp_client.initiate_auth(
        ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"], "DEVICE_KEY": device.key},
    )["AuthenticationResult"]  # fmt: skip
    assert unverified(refreshed["AccessToken"])["device_key"] == device.key
    with pytest.raises(idp_client.exceptions.NotAuthorizedException):
        idp_client.initiate_auth(
            ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
        )  # fmt: skip


def test_srp_sign_in_with_device_and_unknown_device(idp_client):
    from pycognito.aws_srp import AWSSRP

    pool_id, client_id = device_pool(idp_client)
    device, _ = confirmed_device(idp_client, client_id)
    helper = AWSSRP(username="dora", password=PASSWORD, pool_id=pool_id, client_id=client_id,
                    client=idp_client)  # fmt: skip

    def password_step(device_key: str) -> Any:
        started = idp_client.initiate_auth(
            ClientId=client_id, AuthFlow="USER_SRP_AUTH",
            AuthParameters={**helper.get_auth_params(), "DEVICE_KEY": device_key},
        )  # fmt: skip
        responses = helper.process_challenge(started["ChallengeParameters"], {"USERNAME": "dora"})
        return lambda key: idp_client.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="PASSWORD_VERIFIER",
            ChallengeResponses={**responses, "DEVICE_KEY": key},
        )  # fmt: skip

    answer = password_step(device.key)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException, match="Device"):
        answer(f"us-east-1_{uuid.uuid4()}")
    # The SECRET_BLOCK survives that answer: the client retries, here with the real device.
    challenge = answer(device.key)
    assert challenge["ChallengeName"] == "DEVICE_SRP_AUTH"
    result = device.prove(idp_client, client_id, challenge)["AuthenticationResult"]
    assert unverified(result["IdToken"])["cognito:username"] == "dora"


def test_user_prompt_pool_remembers_only_after_update(idp_client):
    _pool_id, client_id = device_pool(idp_client, DeviceOnlyRememberedOnUserPrompt=True)
    device, confirmation = confirmed_device(idp_client, client_id)
    assert confirmation["UserConfirmationNecessary"] is True
    result = sign_in(idp_client, client_id, device.key)["AuthenticationResult"]
    assert "NewDeviceMetadata" not in result
    assert unverified(result["AccessToken"])["device_key"] == device.key
    idp_client.update_device_status(
        AccessToken=result["AccessToken"], DeviceKey=device.key,
        DeviceRememberedStatus="remembered",
    )  # fmt: skip
    assert sign_in(idp_client, client_id, device.key)["ChallengeName"] == "DEVICE_SRP_AUTH"


@pytest.mark.usefixtures("node_client")
@pytest.mark.parametrize("on_prompt", [False, True])
def test_amazon_cognito_identity_js_remembers_and_skips_mfa(server, idp_client, on_prompt):
    """The library confirms the device it is given (and, in an opt-in pool, marks it
    remembered); its next sign-in goes through DEVICE_SRP_AUTH with no MFA."""
    pool_id, client_id = device_pool(idp_client, DeviceOnlyRememberedOnUserPrompt=on_prompt)
    first = sign_in(idp_client, client_id)["AuthenticationResult"]
    secret = enable_totp(idp_client, first["AccessToken"])
    completed = subprocess.run(
        [shutil.which("node") or "node", "device_sign_in.mjs", server.url, pool_id, client_id,
         "dora", PASSWORD, pyotp.TOTP(secret).now()],
        cwd=JS_DIR, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.stdout, completed.stderr
    output = json.loads(completed.stdout.strip().splitlines()[-1])
    assert "error" not in output, output
    assert output["first"]["asked"] == ["SOFTWARE_TOKEN_MFA"]
    assert output["first"]["userConfirmationNecessary"] is on_prompt
    assert output["second"]["asked"] == []
    device_key = output["deviceKey"]
    assert unverified(output["first"]["accessToken"])["device_key"] == device_key
    assert unverified(output["second"]["accessToken"])["device_key"] == device_key
    listed = idp_client.admin_list_devices(UserPoolId=pool_id, Username="dora")["Devices"]
    attributes = {item["Name"]: item["Value"] for item in listed[0]["DeviceAttributes"]}
    assert [item["DeviceKey"] for item in listed] == [device_key]
    assert attributes["dev:device_remembered_status"] == "remembered"


def test_device_sign_in_triggers(env: Env) -> None:  # noqa: F811 (the imported fixture)
    """PostAuthentication hears of a new device; a device-proven sign-in's tokens report
    TokenGeneration_AuthenticateDevice to PreTokenGeneration."""
    pool_id = env.client.create_user_pool(
        PoolName=f"p{uuid.uuid4().hex[:8]}",
        DeviceConfiguration={"ChallengeRequiredOnNewDevice": True},
        LambdaConfig={"PreTokenGeneration": ARN + "pre_token",
                      "PostAuthentication": ARN + "post_auth"},
    )["UserPool"]["Id"]  # fmt: skip
    client_id = env.app(pool_id)
    env.user(pool_id, "dora")
    result = env.sign_in(client_id, "dora")["AuthenticationResult"]
    assert env.event("PostAuthentication_Authentication")["request"]["newDeviceUsed"] is True
    device = DeviceSecret(result["NewDeviceMetadata"])
    env.client.confirm_device(
        AccessToken=result["AccessToken"], DeviceKey=device.key,
        DeviceSecretVerifierConfig=device.verifier_config(),
    )  # fmt: skip
    challenge = env.client.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "dora", "PASSWORD": TRIGGER_PASSWORD, "DEVICE_KEY": device.key},
    )  # fmt: skip
    assert "AuthenticationResult" in device.prove(env.client, client_id, challenge)
    assert env.event("PostAuthentication_Authentication")["request"]["newDeviceUsed"] is False
    assert env.event("TokenGeneration_AuthenticateDevice")["userName"] == "dora"
