"""The AWS JSON 1.1 edge as clients meet it: targets, bodies, signatures, errors."""

from __future__ import annotations

import gc
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import httpx
import pytest

from cognate.awsjson import endpoint
from tests.conftest import RunningServer, make_client, start_server

IDP_TARGET = "AWSCognitoIdentityProviderService"


def post(server: RunningServer, target: str, body: bytes | str) -> httpx.Response:
    return httpx.post(
        server.url + "/",
        content=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
    )


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert response.headers["x-amzn-ErrorType"] == body["__type"]
    return response.status_code, body["__type"], body["message"]


def test_health(server: RunningServer) -> None:
    response = httpx.get(server.url + "/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_target_is_unknown_operation(server: RunningServer) -> None:
    status, name, _ = error_of(post(server, f"{IDP_TARGET}.NoSuchThing", "{}"))
    assert (status, name) == (400, "UnknownOperationException")
    status, name, _ = error_of(post(server, "SomethingElse.ListUserPools", "{}"))
    assert (status, name) == (400, "UnknownOperationException")


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', "\xff\xfe"])
def test_malformed_body_is_serialization_error(server: RunningServer, body: str) -> None:
    # A public operation, so the body is judged without a signature.
    status, name, _ = error_of(post(server, f"{IDP_TARGET}.InitiateAuth", body.encode("latin-1")))
    assert (status, name) == (400, "SerializationException")


def test_signed_operation_without_signature(server: RunningServer) -> None:
    status, name, _ = error_of(post(server, f"{IDP_TARGET}.ListUserPools", '{"MaxResults": 5}'))
    assert name == "MissingAuthenticationTokenException"
    assert status == 403


def test_wrong_secret_is_invalid_signature(server: RunningServer) -> None:
    client = make_client(server.url, aws_secret_access_key="not-the-secret")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.list_user_pools(MaxResults=5)
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_unknown_key_is_unrecognized_client(server: RunningServer) -> None:
    client = make_client(server.url, aws_access_key_id="AKIDUNKNOWN")
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.list_user_pools(MaxResults=5)
    assert caught.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_validation_error_names_the_field(idp_client: Any) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException) as caught:
        idp_client.describe_user_pool(UserPoolId="not a pool id")
    message = caught.value.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value 'not a pool id' at 'userPoolId'")
    assert "regular expression pattern" in message


def test_unimplemented_operation_is_named_not_500(server: RunningServer, idp_client: Any) -> None:
    """A model operation not built yet answers UnsupportedOperationException naming it (public
    ones unsigned, signed ones through boto3), never a 500."""
    from cognate.awsjson.model import IDP_SERVICE, load_service
    from cognate.idp import idp

    service = load_service(IDP_SERVICE)
    missing = sorted(set(service.model.operation_names) - set(idp.handlers))
    unsigned = [name for name in missing if not service.is_signed(service.operation(name))]
    if unsigned:
        response = post(server, f"{IDP_TARGET}.{unsigned[0]}", json.dumps({}))
        status, error, message = error_of(response)
        assert status == 400
        # The model's validation (required members) or the explicit not-built error; never 500.
        assert error in {"InvalidParameterException", "UnsupportedOperationException"}
        if error == "UnsupportedOperationException":
            assert unsigned[0] in message
    signed = [name for name in missing if name not in unsigned]
    if signed:
        name = signed[0]
        operation = idp_client.meta.service_model.operation_model(name)
        members = operation.input_shape.required_members if operation.input_shape else []
        assert set(members) <= {"UserPoolId"}, f"test needs values for {members}"
        pool_id = idp_client.create_user_pool(PoolName="unbuilt")["UserPool"]["Id"]
        with pytest.raises(idp_client.exceptions.ClientError) as caught:
            idp_client._make_api_call(name, {"UserPoolId": pool_id} if members else {})
        assert caught.value.response["Error"]["Code"] == "UnsupportedOperationException"
        assert name in caught.value.response["Error"]["Message"]


def test_oversized_body_is_refused_before_it_is_read(server: RunningServer) -> None:
    """A declared Content-Length over the cap is answered at once: the server never waits
    for (or holds) the body the header announces."""
    host, port = server.url.removeprefix("http://").split(":")
    declared = endpoint.MAX_BODY_BYTES + 1
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.1\r\n"
            f"X-Amz-Target: {IDP_TARGET}.InitiateAuth\r\nContent-Length: {declared}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"{")
        answer = sock.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 413 ")
    assert '"__type":"RequestEntityTooLargeException"' in answer


def test_streamed_body_over_the_cap_is_refused(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(endpoint, "MAX_BODY_BYTES", 4096)

    def chunks(total: int) -> Iterator[bytes]:
        yield b'{"ClientId": "'
        yield b"x" * (total - 16)
        yield b'"}'

    headers = {"Content-Type": "application/x-amz-json-1.1",
               "X-Amz-Target": f"{IDP_TARGET}.InitiateAuth"}  # fmt: skip
    refused = httpx.post(server.url + "/", content=chunks(5000), headers=headers)
    assert error_of(refused)[:2] == (413, "RequestEntityTooLargeException")
    accepted = httpx.post(server.url + "/", content=chunks(3000), headers=headers)
    assert error_of(accepted)[:2] == (400, "InvalidParameterException")  # read, then validated


def test_start_up_objects_are_frozen_out_of_the_collector(tmp_path: Path) -> None:
    """Full collections over start-up's objects stalled the loop ~130 ms every few seconds
    under load (app.py's lifespan): once started, they are in the permanent generation."""
    gc.unfreeze()
    thread, _running = start_server(tmp_path)
    try:
        assert gc.get_freeze_count() > 50_000
    finally:
        thread.stop()
