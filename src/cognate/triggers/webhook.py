"""WebhookRunner: a function served over HTTP(S), for teams whose hooks are web services.

COGNATE_FUNCTION_URLS maps a function NAME to a URL; the event is POSTed as JSON and the JSON
body answered is the returned event, as with Lambda's RequestResponse invocation. A 2xx
status is success; any other status is the function's error, its message taken from the
body's `errorMessage` (Lambda's error shape) or `message`, else the status line. A timeout or
an unreachable host is an invocation failure. Settings admits http only for loopback hosts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
import httpx
import orjson

from cognate.triggers.functions import (
    TIMEOUT_REASON,
    TIMEOUT_SECONDS,
    Function,
    Outcome,
    OutcomeKind,
)


class WebhookRunner:
    """POSTs events to the URL configured for each function name."""

    def __init__(self, urls: Mapping[str, str], *, timeout_seconds: float = TIMEOUT_SECONDS):
        self._urls = dict(urls)
        self._timeout = timeout_seconds
        self._client: httpx.AsyncClient | None = None

    async def run(self, function: Function, event: Mapping[str, Any]) -> Outcome:
        """POST `event` to the function's URL (FunctionRunner)."""
        url = self._urls.get(function.name)
        if url is None:
            return Outcome(kind=OutcomeKind.FAILED, message="ResourceNotFoundException")
        if self._client is None:
            # Follows no redirects: the configured URL is the one trusted with the event.
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        try:
            # httpx's timeout bounds each read; the limit is on the whole exchange.
            with anyio.fail_after(self._timeout):
                response = await self._client.post(
                    url,
                    content=orjson.dumps(event),
                    headers={
                        "Content-Type": "application/json",
                        "X-Amz-Function-Arn": function.arn,
                    },
                )
        except (TimeoutError, httpx.TimeoutException):
            return Outcome(kind=OutcomeKind.FAILED, message=TIMEOUT_REASON)
        except httpx.HTTPError as exc:
            return Outcome(kind=OutcomeKind.FAILED, message=type(exc).__name__)
        return _outcome(response)

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _outcome(response: httpx.Response) -> Outcome:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if response.is_success:
        if body is None:
            return Outcome(kind=OutcomeKind.MALFORMED, message="Runtime.MarshalError")
        return Outcome(kind=OutcomeKind.OK, value=body)
    message = f"{response.status_code} {response.reason_phrase}"
    if isinstance(body, dict):
        message = str(body.get("errorMessage") or body.get("message") or message)
    return Outcome(kind=OutcomeKind.FUNCTION_ERROR, message=message)
