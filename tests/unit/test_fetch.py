"""cognate.fetch against a real local HTTP server: answers within the cap are read whole, a
larger one is cut off with AnswerTooLarge (an httpx.HTTPError, as callers expect)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from cognate.fetch import AnswerTooLarge, fetch


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        size = int(self.path.strip("/"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        # Streamed without a Content-Length, as a hostile server might.
        self.wfile.write(b'"' + b"x" * size + b'"')

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


DEADLINES = httpx.Timeout(5.0)


def test_an_answer_within_the_cap_is_read_whole(server_url: str) -> None:
    answer = asyncio.run(fetch("GET", f"{server_url}/1000", deadlines=DEADLINES, limit=2000))
    assert answer.status_code == 200
    assert answer.json() == "x" * 1000


def test_a_larger_answer_is_refused(server_url: str) -> None:
    with pytest.raises(AnswerTooLarge):
        asyncio.run(fetch("GET", f"{server_url}/5000", deadlines=DEADLINES, limit=2000))
    assert issubclass(AnswerTooLarge, httpx.HTTPError)
