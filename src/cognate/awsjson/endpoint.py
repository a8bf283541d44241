"""`POST /` for both Cognito APIs: parse, authenticate, validate against the model, dispatch.

This is one of the three places allowed to catch Exception: anything unexpected becomes
InternalErrorException (HTTP 500) with the request id in the log, never a traceback on the wire.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope, Send

from cognate.awsjson.model import Service
from cognate.awsjson.rate_limit import TokenBuckets, bucket_key, client_address, parse_networks
from cognate.awsjson.serialize import serialize
from cognate.awsjson.sigv4 import verify_signature
from cognate.awsjson.validate import validate_input
from cognate.context import Context
from cognate.errors import (
    CognitoError,
    InternalErrorException,
    MissingAuthenticationTokenException,
    RequestEntityTooLargeException,
    SerializationException,
    TooManyRequestsException,
    UnknownOperationException,
    UnsupportedOperationException,
)
from cognate.registry import OperationRegistry

log = logging.getLogger("cognate.awsjson")

_CONTENT_TYPE = b"application/x-amz-json-1.1"

MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest request body read. The models' largest input is a managed-login branding of 40
assets of up to 1 MB each, ~54 MB once base64-encoded; anything larger is refused before it
is held in memory (security-test-plan.md case 62: bounded memory)."""


class AwsJsonEndpoint:
    """The ASGI endpoint serving every registered service on `POST /`."""

    def __init__(
        self, ctx: Context, services: Mapping[str, tuple[Service, OperationRegistry]]
    ) -> None:
        self._ctx = ctx
        self._credentials = ctx.settings.credentials()
        settings = ctx.settings
        self._trusted_proxies = parse_networks(settings.trusted_proxies)
        self._buckets = (
            TokenBuckets(rate=settings.rate_limit_per_ip, burst=settings.rate_limit_burst)
            if settings.rate_limit_per_ip > 0
            else None
        )
        # target prefix -> (service, registry)
        self._services = {
            service.target_prefix: (service, reg) for service, reg in services.values()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one AWS JSON request: an ASGI app, which skips building Starlette request and
        response objects on the path every API call takes."""
        received_at = time.monotonic()
        request_id = str(uuid.uuid4())
        failure: CognitoError
        try:
            body = await _body(scope, receive)
            payload = await self._handle(Request(scope), body, request_id, received_at)
        except ClientDisconnect:
            return  # nobody to answer
        except CognitoError as error:
            failure = error
        except Exception:
            log.exception("internal error in request %s", request_id)
            failure = InternalErrorException(
                f"An internal error occurred (request id {request_id})."
            )
        else:
            await _answer(send, 200, orjson.dumps(payload), request_id)
            return
        error_body = orjson.dumps({"__type": failure.name, "message": failure.message})
        await _answer(send, failure.status_code, error_body, request_id, failure.name)

    async def _handle(
        self, request: Request, body: bytes, request_id: str, received_at: float
    ) -> Any:
        service, registry, operation = self._resolve(request.headers.get("x-amz-target", ""))
        source_ip = self._client_address(request)
        is_signed = service.is_signed(operation)
        # Only the public operations are limited: signed ones come from holders of admin keys.
        if (
            not is_signed
            and self._buckets is not None
            and not self._buckets.take(bucket_key(source_ip, operation.name))
        ):
            raise TooManyRequestsException("Rate exceeded")
        if is_signed:
            authorization = request.headers.get("authorization")
            if not authorization:
                raise MissingAuthenticationTokenException("Missing Authentication Token")
            verify_signature(
                method=request.method,
                path=request.url.path,
                query=request.url.query,
                headers=request.headers,
                body=body,
                credentials=self._credentials,
                region=self._ctx.region,
                service=service.name,
                now=self._ctx.clock(),
            )
        data = _parse_body(body)
        validate_input(operation.input_shape, data)
        handler = registry.get(operation.name)
        if handler is None:
            raise UnsupportedOperationException(f"Cognate does not implement {operation.name} yet.")
        result = await handler(self._ctx.for_request(request_id, source_ip, received_at), data)
        return serialize(operation.output_shape, result or {})

    def _client_address(self, request: Request) -> str:
        peer = request.client.host if request.client else ""
        if not self._trusted_proxies:
            return peer
        return client_address(
            peer, request.headers.getlist("x-forwarded-for"), self._trusted_proxies
        )

    def _resolve(self, target: str) -> tuple[Service, OperationRegistry, Any]:
        prefix, _, name = target.partition(".")
        found = self._services.get(prefix)
        operation = found[0].operation(name) if found else None
        if found is None or operation is None:
            raise UnknownOperationException(f"Unknown operation {target or '(no X-Amz-Target)'}")
        return found[0], found[1], operation


def _parse_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SerializationException("Start of structure or map found where not expected.") from exc
    if not isinstance(data, dict):
        raise SerializationException("Start of structure or map found where not expected.")
    return data


async def _body(scope: Scope, receive: Receive) -> bytes:
    """The request body, refused once it is known to exceed MAX_BODY_BYTES: by its declared
    Content-Length before any of it is read, or as it arrives."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
            raise _too_large()
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large() -> RequestEntityTooLargeException:
    return RequestEntityTooLargeException(
        f"Request body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB."
    )


async def _answer(
    send: Send, status: int, body: bytes, request_id: str, error_type: str | None = None
) -> None:
    headers = [
        (b"content-type", _CONTENT_TYPE),
        (b"content-length", str(len(body)).encode()),
        (b"x-amzn-requestid", request_id.encode()),
    ]
    if error_type is not None:
        headers.append((b"x-amzn-errortype", error_type.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
