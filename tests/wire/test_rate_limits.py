"""Per-client rate limits of the public operations (security-test-plan.md B24, B25).

Each test uses its own operation category on the module's servers, so no test waits for
another's bucket to refill.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from cognate.settings import Settings
from tests.conftest import RunningServer, ServerThread, free_port, make_client

RATE = 0.5  # requests per second: one token every 2 s, slow enough for a busy CI machine
BURST = 3
PASSWORD = "Corr3ct!horse"
IDP = "AWSCognitoIdentityProviderService"


def start_server(data_dir: Path, **overrides: Any) -> tuple[ServerThread, RunningServer]:
    """conftest's start_server, with uvicorn's proxy-header rewriting off as `cognate serve`
    has it: otherwise uvicorn itself would believe X-Forwarded-For from 127.0.0.1."""
    port = free_port()
    settings = Settings(host="127.0.0.1", port=port, data_dir=data_dir, **overrides)
    thread = ServerThread(settings)
    thread.server.config.proxy_headers = False
    thread.start()
    return thread, RunningServer(
        url=f"http://127.0.0.1:{port}", settings=settings, data_dir=data_dir
    )


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with a tiny limit and no trusted proxies."""
    thread, running = start_server(
        tmp_path_factory.mktemp("limited"), rate_limit_per_ip=RATE, rate_limit_burst=BURST
    )
    yield running
    thread.stop()


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with a tiny limit that trusts the loopback peer as its reverse proxy."""
    thread, running = start_server(
        tmp_path_factory.mktemp("proxied"),
        rate_limit_per_ip=RATE,
        rate_limit_burst=BURST,
        trusted_proxies="127.0.0.1, ::1",
    )
    yield running
    thread.stop()


def refill_seconds(tokens: int = 1) -> float:
    return tokens / RATE * 1.05


_HTTP = httpx.Client()  # one keep-alive client: a new one per call costs a TLS context


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    _HTTP.close()


def raw_call(url: str, operation: str, body: dict[str, Any], **headers: str) -> str:
    """Post an unsigned call; the wire `__type` of the answer, or "" for a success."""
    response = _HTTP.post(
        url,
        content=orjson.dumps(body),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{IDP}.{operation}",
            **headers,
        },
    )
    return str(orjson.loads(response.content).get("__type", "")) if response.is_error else ""


def forgot(url: str, **headers: str) -> str:
    return raw_call(url, "ForgotPassword", {"ClientId": "nosuchclient", "Username": "u"}, **headers)


def test_sign_in_flood_is_throttled_and_recovers(limited: RunningServer) -> None:
    idp = make_client(limited.url)
    pool_id = idp.create_user_pool(PoolName="rl")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool_id, Username="alice", MessageAction="SUPPRESS")
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username="alice", Password=PASSWORD, Permanent=True
    )

    def sign_in() -> dict[str, Any]:
        result: dict[str, Any] = idp.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
        )
        return result

    for _ in range(BURST):
        access_token = sign_in()["AuthenticationResult"]["AccessToken"]
    started = time.perf_counter()
    with pytest.raises(idp.exceptions.TooManyRequestsException, match="Rate exceeded"):
        sign_in()
    assert time.perf_counter() - started < 1.0  # answered at the edge, no password work

    # Other categories and signed (admin) operations keep working meanwhile.
    assert idp.get_user(AccessToken=access_token)["Username"] == "alice"
    for _ in range(BURST + 2):
        idp.admin_get_user(UserPoolId=pool_id, Username="alice")

    time.sleep(refill_seconds())
    assert "AuthenticationResult" in sign_in()
    with pytest.raises(idp.exceptions.TooManyRequestsException):
        sign_in()


def test_forwarded_for_is_ignored_without_trusted_proxies(limited: RunningServer) -> None:
    answers = [forgot(limited.url, **{"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(5)]
    assert answers == ["ResourceNotFoundException"] * BURST + ["TooManyRequestsException"] * 2


def test_forwarded_for_is_honoured_from_a_trusted_proxy(behind_proxy: RunningServer) -> None:
    url = behind_proxy.url
    client = {"X-Forwarded-For": "198.51.100.1"}
    assert [forgot(url, **client) for _ in range(BURST)] == ["ResourceNotFoundException"] * BURST
    assert forgot(url, **client) == "TooManyRequestsException"
    # A client cannot escape by prepending its own hops: the proxy's right-most entry counts.
    spoofed = {"X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 250}, 198.51.100.1"}
    assert forgot(url, **spoofed) == "TooManyRequestsException"
    # Another client behind the same proxy has its own bucket, and so does the proxy itself.
    assert forgot(url, **{"X-Forwarded-For": "198.51.100.2"}) == "ResourceNotFoundException"
    assert forgot(url) == "ResourceNotFoundException"


def test_zero_disables_the_limit(tmp_path: Path) -> None:
    thread, running = start_server(tmp_path, rate_limit_per_ip=0, rate_limit_burst=1)
    try:
        assert {forgot(running.url) for _ in range(10)} == {"ResourceNotFoundException"}
    finally:
        thread.stop()
