"""Reading answers from other servers (an identity provider's discovery document, keys,
tokens, user info, SAML metadata) with a cap on their size: whoever answers at a provider's
URL must not be able to make Cognate read, and hold in memory, without end."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

import httpx

MAX_BYTES: Final = 1_000_000
"""The largest answer read: far above any discovery document, key set or token response."""


class AnswerTooLarge(httpx.HTTPError):
    """The server's answer went past the size cap (raised while reading; nothing more is read)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer read in full (within the cap)."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ValueError if it is not."""
        return json.loads(self.content)


async def fetch(
    method: str, url: str, *, deadlines: httpx.Timeout, limit: int = MAX_BYTES, **options: Any
) -> Answer:
    """`method url` with httpx `options` and `deadlines` (connect, read…), reading at most
    `limit` bytes of the answer.

    Raises httpx.HTTPError (AnswerTooLarge past the cap) like an httpx call would.
    """
    async with (
        httpx.AsyncClient(timeout=deadlines) as http,
        http.stream(method, url, **options) as response,
    ):
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise AnswerTooLarge(f"the answer of {url} is larger than {limit} bytes")
            chunks.append(chunk)
    return Answer(response.status_code, b"".join(chunks))
