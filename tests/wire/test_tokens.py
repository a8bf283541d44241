"""Tokens over the wire: discovery and JWKS, third-party verification (python-jose, jwcrypto,
PyJWT), GetUser, sign-out, RevokeToken, GetTokensFromRefreshToken with rotation, key rotation,
and the token cases of security-test-plan.md §F.

Until the sign-in engine lands, tokens are minted by calling `issue_tokens` with a Context built
on the same data dir and database as the running server (SQLite WAL makes sharing safe).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import jwcrypto.jwk
import jwcrypto.jwt
import jwt as pyjwt
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from jose import jwt as jose_jwt

from cognate.app import create_context
from cognate.context import Context
from cognate.store.clients import get_client
from cognate.store.pools import get_pool
from cognate.store.users import get_user
from cognate.tokens.claims import b64url, signing_input
from cognate.tokens.issue import SignIn, issue_tokens
from cognate.tokens.keys import key_ring
from tests.conftest import RunningServer

PASSWORD = "Passw0rd!"


class Minter:
    """Issues tokens for users of the running server, in a loop of its own."""

    def __init__(self, portal: BlockingPortal, ctx: Context) -> None:
        self.portal = portal
        self.ctx = ctx

    def mint(
        self,
        pool_id: str,
        client_id: str,
        username: str,
        *,
        clock: Callable[[], datetime] | None = None,
        device_key: str | None = None,
    ) -> dict[str, Any]:
        ctx = self.ctx if clock is None else dataclasses.replace(self.ctx, clock=clock)

        async def run() -> dict[str, Any]:
            async with ctx.store.read() as conn:
                pool = await get_pool(conn, pool_id)
                client = await get_client(conn, pool_id, client_id)
                user = await get_user(conn, pool_id, username.lower())
            assert pool and client and user
            sign_in = SignIn(
                pool=pool, client=client, user=user, auth_time=ctx.clock(), device_key=device_key
            )
            return await issue_tokens(ctx, sign_in)

        return self.portal.call(run)

    def sign(
        self, pool_id: str, purpose: str, claims: dict[str, Any], kid: str | None = None
    ) -> str:
        """A token signed with the pool's real `purpose` key (for confusion attacks)."""

        async def keys() -> Any:
            return await key_ring(self.ctx).signing_keys(self.ctx, pool_id)

        id_key, access_key = self.portal.call(keys)
        key = id_key if purpose == "id" else access_key
        data = signing_input(kid or key.kid, claims)
        signature = key.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return f"{data.decode()}.{b64url(signature)}"


@pytest.fixture(scope="module")
def minter(server: RunningServer) -> Iterator[Minter]:
    with start_blocking_portal() as portal:
        ctx = create_context(server.settings)
        yield Minter(portal, ctx)
        portal.call(ctx.store.close)


@dataclasses.dataclass
class Setup:
    pool_id: str
    client_id: str
    username: str


def make_setup(idp_client: Any, pool_id: str, **client_options: Any) -> Setup:
    client = idp_client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        **client_options,
    )["UserPoolClient"]
    username = f"user-{uuid.uuid4().hex[:6]}"
    idp_client.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": f"{username}@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    idp_client.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )
    return Setup(pool_id=pool_id, client_id=client["ClientId"], username=username)


@pytest.fixture
def setup(idp_client: Any, pool_id: str) -> Setup:
    return make_setup(idp_client, pool_id)


def fetch(url: str) -> tuple[int, dict[str, str], Any]:
    try:
        with urllib.request.urlopen(url) as response:  # noqa: S310 (test server URL)
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def jwks_via_discovery(server: RunningServer, pool_id: str) -> dict[str, Any]:
    status, _, document = fetch(f"{server.url}/{pool_id}/.well-known/openid-configuration")
    assert status == 200
    status, _, keys = fetch(document["jwks_uri"])
    assert status == 200
    jwks: dict[str, Any] = keys
    return jwks


def header_of(token: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    return result


def payload_of(token: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return result


def test_discovery_document_and_jwks(server: RunningServer, pool_id: str) -> None:
    status, headers, document = fetch(f"{server.url}/{pool_id}/.well-known/openid-configuration")
    assert status == 200
    issuer = f"{server.url}/{pool_id}"
    assert document["issuer"] == issuer
    assert document["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert document["authorization_endpoint"] == f"{server.url}/oauth2/authorize"
    assert document["token_endpoint"] == f"{server.url}/oauth2/token"
    assert document["revocation_endpoint"] == f"{server.url}/oauth2/revoke"
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert "max-age" in headers["cache-control"]
    status, _, keys = fetch(document["jwks_uri"])
    assert status == 200
    assert len(keys["keys"]) == 2
    assert len({key["kid"] for key in keys["keys"]}) == 2
    for key in keys["keys"]:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert set(key) == {"alg", "e", "kid", "kty", "n", "use"}


def test_unknown_pool_is_404_json(server: RunningServer) -> None:
    for path in ("openid-configuration", "jwks.json"):
        status, _, body = fetch(f"{server.url}/us-east-1_nothere/.well-known/{path}")
        assert status == 404
        assert "does not exist" in body["message"]


def test_tokens_verify_with_three_libraries(
    server: RunningServer, minter: Minter, setup: Setup
) -> None:
    result = minter.mint(setup.pool_id, setup.client_id, setup.username)
    assert result["TokenType"] == "Bearer" and result["ExpiresIn"] == 3600
    id_token, access_token = result["IdToken"], result["AccessToken"]
    assert header_of(id_token).keys() == {"kid", "alg"}
    assert header_of(id_token)["kid"] != header_of(access_token)["kid"]
    keys = jwks_via_discovery(server, setup.pool_id)
    issuer = f"{server.url}/{setup.pool_id}"

    claims = jose_jwt.decode(
        id_token, keys, algorithms=["RS256"], audience=setup.client_id, issuer=issuer
    )
    assert claims["token_use"] == "id" and claims["cognito:username"] == setup.username
    assert claims["email_verified"] is True
    access = jose_jwt.decode(access_token, keys, algorithms=["RS256"], issuer=issuer)
    assert access["client_id"] == setup.client_id and access["username"] == setup.username
    assert access["origin_jti"] == claims["origin_jti"]
    assert access["scope"] == "aws.cognito.signin.user.admin"

    keyset = jwcrypto.jwk.JWKSet.from_json(json.dumps(keys))
    for token in (id_token, access_token):
        verified = jwcrypto.jwt.JWT(jwt=token, key=keyset, algs=["RS256"])
        assert json.loads(verified.claims)["iss"] == issuer

    pyjwks = pyjwt.PyJWKSet.from_dict(keys)
    for token, audience in ((id_token, setup.client_id), (access_token, None)):
        key = pyjwks[header_of(token)["kid"]]
        decoded = pyjwt.decode(
            token, key.key, algorithms=["RS256"], issuer=issuer, audience=audience
        )
        assert decoded["sub"] == claims["sub"]


def test_get_user(idp_client: Any, minter: Minter, setup: Setup) -> None:
    tokens = minter.mint(setup.pool_id, setup.client_id, setup.username)
    user = idp_client.get_user(AccessToken=tokens["AccessToken"])
    assert user["Username"] == setup.username
    attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
    assert attributes["email"] == f"{setup.username}@example.com"
    assert attributes["sub"] == payload_of(tokens["AccessToken"])["sub"]


def forged(claims: dict[str, Any], header: dict[str, Any], signature: bytes = b"sig") -> str:
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    return f"{head}.{body}.{b64url(signature)}"


def test_forged_and_confused_tokens_are_refused(
    server: RunningServer, idp_client: Any, minter: Minter, setup: Setup, pool_id: str
) -> None:
    tokens = minter.mint(setup.pool_id, setup.client_id, setup.username)
    access, id_token = tokens["AccessToken"], tokens["IdToken"]
    claims, header = payload_of(access), header_of(access)
    keys = jwks_via_discovery(server, setup.pool_id)
    access_jwk = next(key for key in keys["keys"] if key["kid"] == header["kid"])
    public_pem = pyjwt.PyJWK(access_jwk).key.public_bytes(
        encoding=__import__(
            "cryptography.hazmat.primitives.serialization"
        ).hazmat.primitives.serialization.Encoding.PEM,
        format=__import__(
            "cryptography.hazmat.primitives.serialization"
        ).hazmat.primitives.serialization.PublicFormat.SubjectPublicKeyInfo,
    )

    def hs256(secret: bytes) -> str:
        head = b64url(json.dumps({"kid": header["kid"], "alg": "HS256"}).encode())
        body = b64url(json.dumps(claims).encode())
        mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{b64url(mac)}"

    other = make_setup(idp_client, idp_client.create_user_pool(PoolName="other")["UserPool"]["Id"])
    tampered_claims = {**claims, "username": "someone-else"}
    head, _, signature = access.split(".")
    cases = {
        "alg none": forged(claims, {"kid": header["kid"], "alg": "none"}, b""),
        "alg none, no signature": forged(claims, {"alg": "none"}).rsplit(".", 1)[0] + ".",
        "HS256 with PEM": hs256(public_pem),
        "HS256 with JWK": hs256(json.dumps(access_jwk).encode()),
        "unknown kid": forged(claims, {"kid": "nope", "alg": "RS256"}),
        "path kid": forged(claims, {"kid": "../../dev/null", "alg": "RS256"}),
        "sql kid": forged(claims, {"kid": "' OR 1=1--", "alg": "RS256"}),
        "missing kid": forged(claims, {"alg": "RS256"}),
        "ID token": id_token,
        "ID key signs access claims": minter.sign(setup.pool_id, "id", claims),
        "other pool's key, this issuer": minter.sign(other.pool_id, "access", claims),
        "tampered payload": f"{head}.{b64url(json.dumps(tampered_claims).encode())}.{signature}",
        "flipped signature": access[:-2] + ("A" if access[-2] != "A" else "B") + access[-1],
        "garbage": "not-a-token",
        "jku header": forged(
            claims, {"kid": header["kid"], "alg": "RS256", "jku": "http://evil/jwks"}
        ),
    }
    for name, token in cases.items():
        with pytest.raises(idp_client.exceptions.NotAuthorizedException) as caught:
            idp_client.get_user(AccessToken=token)
        assert caught.value.response["Error"]["Message"] == "Invalid Access Token", name


def test_expired_access_token(idp_client: Any, minter: Minter, setup: Setup) -> None:
    past = datetime.now(UTC) - timedelta(hours=2)
    tokens = minter.mint(setup.pool_id, setup.client_id, setup.username, clock=lambda: past)
    with pytest.raises(
        idp_client.exceptions.NotAuthorizedException, match="Access Token has expired"
    ):
        idp_client.get_user(AccessToken=tokens["AccessToken"])


def refresh(idp_client: Any, setup: Setup, token: str) -> dict[str, Any]:
    result: dict[str, Any] = idp_client.get_tokens_from_refresh_token(
        ClientId=setup.client_id, RefreshToken=token
    )["AuthenticationResult"]
    return result


def test_refresh_keeps_auth_time_and_origin(idp_client: Any, minter: Minter, setup: Setup) -> None:
    tokens = minter.mint(setup.pool_id, setup.client_id, setup.username)
    refreshed = refresh(idp_client, setup, tokens["RefreshToken"])
    assert "RefreshToken" not in refreshed
    before, after = payload_of(tokens["AccessToken"]), payload_of(refreshed["AccessToken"])
    assert after["auth_time"] == before["auth_time"]
    assert after["origin_jti"] == before["origin_jti"]
    assert after["jti"] != before["jti"]
    assert idp_client.get_user(AccessToken=refreshed["AccessToken"])["Username"] == setup.username
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match="Invalid Refresh Token"):
        refresh(idp_client, setup, "unknown-token")


def test_refresh_token_is_bound_to_its_client(
    idp_client: Any, minter: Minter, setup: Setup
) -> None:
    tokens = minter.mint(setup.pool_id, setup.client_id, setup.username)
    other = idp_client.create_user_pool_client(UserPoolId=setup.pool_id, ClientName="other")
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match="Invalid Refresh Token"):
        idp_client.get_tokens_from_refresh_token(
            ClientId=other["UserPoolClient"]["ClientId"], RefreshToken=tokens["RefreshToken"]
        )


@pytest.mark.parametrize("admin", [False, True])
def test_global_sign_out_revokes_everything(
    idp_client: Any, minter: Minter, setup: Setup, admin: bool
) -> None:
    tokens = minter.mint(setup.pool_id, setup.client_id, setup.username)
    if admin:
        idp_client.admin_user_global_sign_out(UserPoolId=setup.pool_id, Username=setup.username)
    else:
        idp_client.global_sign_out(AccessToken=tokens["AccessToken"])
    with pytest.raises(
        idp_client.exceptions.NotAuthorizedException, match="Access Token has been revoked"
    ):
        idp_client.get_user(AccessToken=tokens["AccessToken"])
    with pytest.raises(
        idp_client.exceptions.NotAuthorizedException, match="Refresh Token has been revoked"
    ):
        refresh(idp_client, setup, tokens["RefreshToken"])
    fresh = minter.mint(setup.pool_id, setup.client_id, setup.username)
    assert idp_client.get_user(AccessToken=fresh["AccessToken"])["Username"] == setup.username


def test_revoke_token(idp_client: Any, minter: Minter, setup: Setup) -> None:
    tokens = minter.mint(setup.pool_id, setup.client_id, setup.username)
    sibling = minter.mint(setup.pool_id, setup.client_id, setup.username)
    with pytest.raises(idp_client.exceptions.UnsupportedTokenTypeException):
        idp_client.revoke_token(ClientId=setup.client_id, Token=tokens["AccessToken"])
    idp_client.revoke_token(ClientId=setup.client_id, Token="never-issued")
    idp_client.revoke_token(ClientId=setup.client_id, Token=tokens["RefreshToken"])
    with pytest.raises(
        idp_client.exceptions.NotAuthorizedException, match="Refresh Token has been revoked"
    ):
        refresh(idp_client, setup, tokens["RefreshToken"])
    with pytest.raises(
        idp_client.exceptions.NotAuthorizedException, match="Access Token has been revoked"
    ):
        idp_client.get_user(AccessToken=tokens["AccessToken"])
    # Another sign-in of the same user is a different origin: untouched.
    assert idp_client.get_user(AccessToken=sibling["AccessToken"])["Username"] == setup.username


def test_revoke_token_client_rules(idp_client: Any, minter: Minter, pool_id: str) -> None:
    disabled = make_setup(idp_client, pool_id, EnableTokenRevocation=False)
    tokens = minter.mint(disabled.pool_id, disabled.client_id, disabled.username)
    assert "origin_jti" not in payload_of(tokens["AccessToken"])
    with pytest.raises(idp_client.exceptions.UnsupportedOperationException):
        idp_client.revoke_token(ClientId=disabled.client_id, Token=tokens["RefreshToken"])
    confidential = make_setup(idp_client, pool_id, GenerateSecret=True)
    secret = idp_client.describe_user_pool_client(
        UserPoolId=pool_id, ClientId=confidential.client_id
    )["UserPoolClient"]["ClientSecret"]
    tokens = minter.mint(confidential.pool_id, confidential.client_id, confidential.username)
    for wrong in ({}, {"ClientSecret": "w" * 51}):
        with pytest.raises(idp_client.exceptions.UnauthorizedException):
            idp_client.revoke_token(
                ClientId=confidential.client_id, Token=tokens["RefreshToken"], **wrong
            )
    idp_client.revoke_token(
        ClientId=confidential.client_id, Token=tokens["RefreshToken"], ClientSecret=secret
    )


def test_disabled_and_deleted_users(idp_client: Any, minter: Minter, setup: Setup) -> None:
    tokens = minter.mint(setup.pool_id, setup.client_id, setup.username)
    idp_client.admin_disable_user(UserPoolId=setup.pool_id, Username=setup.username)
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match=r"User is disabled\."):
        idp_client.get_user(AccessToken=tokens["AccessToken"])
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match=r"User is disabled\."):
        refresh(idp_client, setup, tokens["RefreshToken"])
    # Disabling revoked them: enabling the user again does not bring them back.
    idp_client.admin_enable_user(UserPoolId=setup.pool_id, Username=setup.username)
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match="revoked"):
        idp_client.get_user(AccessToken=tokens["AccessToken"])
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match="revoked"):
        refresh(idp_client, setup, tokens["RefreshToken"])
    idp_client.admin_delete_user(UserPoolId=setup.pool_id, Username=setup.username)
    with pytest.raises(idp_client.exceptions.UserNotFoundException):
        idp_client.get_user(AccessToken=tokens["AccessToken"])
    with pytest.raises(idp_client.exceptions.NotAuthorizedException, match="Invalid Refresh Token"):
        refresh(idp_client, setup, tokens["RefreshToken"])


ROTATION = {"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}}


def test_rotation_issues_a_new_refresh_token_once(
    idp_client: Any, minter: Minter, pool_id: str
) -> None:
    setup = make_setup(idp_client, pool_id, **ROTATION)
    tokens = minter.mint(setup.pool_id, setup.client_id, setup.username)
    rotated = refresh(idp_client, setup, tokens["RefreshToken"])
    assert rotated["RefreshToken"] != tokens["RefreshToken"]
    with pytest.raises(idp_client.exceptions.RefreshTokenReuseException):
        refresh(idp_client, setup, tokens["RefreshToken"])
    again = refresh(idp_client, setup, rotated["RefreshToken"])
    assert (
        payload_of(again["AccessToken"])["auth_time"]
        == payload_of(tokens["AccessToken"])["auth_time"]
    )


def test_rotation_grace_period(idp_client: Any, minter: Minter, pool_id: str) -> None:
    setup = make_setup(
        idp_client,
        pool_id,
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 60},
    )
    tokens = minter.mint(setup.pool_id, setup.client_id, setup.username)
    first = refresh(idp_client, setup, tokens["RefreshToken"])
    second = refresh(idp_client, setup, tokens["RefreshToken"])
    assert first["RefreshToken"] != second["RefreshToken"]


def test_twenty_parallel_rotations_have_one_winner(
    server: RunningServer, idp_client: Any, minter: Minter, pool_id: str
) -> None:
    setup = make_setup(idp_client, pool_id, **ROTATION)
    tokens = minter.mint(setup.pool_id, setup.client_id, setup.username)

    def attempt(_: int) -> str:
        try:
            refresh(idp_client, setup, tokens["RefreshToken"])
        except idp_client.exceptions.RefreshTokenReuseException:
            return "reused"
        return "won"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    assert outcomes.count("won") == 1
    assert outcomes.count("reused") == 19


def test_key_rotation_keeps_old_tokens_valid(
    server: RunningServer, idp_client: Any, minter: Minter, setup: Setup
) -> None:
    old = minter.mint(setup.pool_id, setup.client_id, setup.username)
    old_kids = {key["kid"] for key in jwks_via_discovery(server, setup.pool_id)["keys"]}
    command = [sys.executable, "-m", "cognate", "keys", "rotate", "--pool-id", setup.pool_id,
               "--data-dir", str(server.data_dir)]  # fmt: skip
    if server.settings.database_url:
        command += ["--database-url", server.settings.database_url]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    new_kids = set(json.loads(output)["kids"])
    keys = jwks_via_discovery(server, setup.pool_id)
    assert {key["kid"] for key in keys["keys"]} == old_kids | new_kids
    assert not old_kids & new_kids
    pyjwks = pyjwt.PyJWKSet.from_dict(keys)
    key = pyjwks[header_of(old["AccessToken"])["kid"]]
    pyjwt.decode(old["AccessToken"], key.key, algorithms=["RS256"])
    assert idp_client.get_user(AccessToken=old["AccessToken"])["Username"] == setup.username

    # A process that starts after the rotation (or whose 60 s cache expired) signs with new keys.
    with start_blocking_portal() as portal:
        fresh_ctx = create_context(server.settings)
        try:
            new = Minter(portal, fresh_ctx).mint(setup.pool_id, setup.client_id, setup.username)
        finally:
            portal.call(fresh_ctx.store.close)
    assert {header_of(new["IdToken"])["kid"], header_of(new["AccessToken"])["kid"]} == new_kids
    assert idp_client.get_user(AccessToken=new["AccessToken"])["Username"] == setup.username


def test_sign_in_through_the_flow_engine(
    server: RunningServer, idp_client: Any, setup: Setup
) -> None:
    result = idp_client.admin_initiate_auth(
        UserPoolId=setup.pool_id,
        ClientId=setup.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": setup.username, "PASSWORD": PASSWORD},
    )
    tokens = result["AuthenticationResult"]
    keys = jwks_via_discovery(server, setup.pool_id)
    jose_jwt.decode(tokens["IdToken"], keys, algorithms=["RS256"], audience=setup.client_id)
    assert idp_client.get_user(AccessToken=tokens["AccessToken"])["Username"] == setup.username
