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
from starlette.requests import Request
from starlette.responses import Response

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
    SerializationException,
    TooManyRequestsException,
    UnknownOperationException,
    UnsupportedOperationException,
)
from cognate.registry import OperationRegistry

log = logging.getLogger("cognate.awsjson")

_CONTENT_TYPE = "application/x-amz-json-1.1"


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

    async def handle(self, request: Request) -> Response:
        """Answer one AWS JSON request (Starlette endpoint)."""
        received_at = time.monotonic()
        request_id = str(uuid.uuid4())
        try:
            body = await request.body()
            payload = await self._handle(request, body, request_id, received_at)
        except CognitoError as error:
            return _error_response(error, request_id)
        except Exception:
            log.exception("internal error in request %s", request_id)
            return _error_response(
                InternalErrorException(f"An internal error occurred (request id {request_id})."),
                request_id,
            )
        return Response(
            orjson.dumps(payload),
            media_type=_CONTENT_TYPE,
            headers={"x-amzn-RequestId": request_id},
        )

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


def _error_response(error: CognitoError, request_id: str) -> Response:
    return Response(
        orjson.dumps({"__type": error.name, "message": error.message}),
        status_code=error.status_code,
        media_type=_CONTENT_TYPE,
        headers={"x-amzn-ErrorType": error.name, "x-amzn-RequestId": request_id},
    )
