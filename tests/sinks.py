"""Real message sinks for tests: an SMTP server (aiosmtpd) and an SMS webhook (stdlib HTTP).

Both run in their own thread on 127.0.0.1 and record what they receive, so a test can point
`Settings(smtp_url=sink.url)` / `Settings(sms_webhook_url=sink.url)` at them and inspect the
messages afterwards. Recording is guarded by a condition variable: `wait_for(n)` blocks until n
messages arrived, for code that delivers in the background.

    with smtp_sink() as mail, sms_sink() as sms:
        ...
        assert mail.messages[0]["Subject"] == "Your verification code"
        assert sms.messages[0]["phone_number"] == "+15551234567"
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

_START_ATTEMPTS = 5


class _Recorder:
    """A thread-safe list of received items with a blocking wait."""

    def __init__(self) -> None:
        self._condition = threading.Condition()

    def _record(self, items: list[Any], item: Any) -> None:
        with self._condition:
            items.append(item)
            self._condition.notify_all()

    def _wait(self, items: list[Any], count: int, timeout: float) -> list[Any]:
        with self._condition:
            if not self._condition.wait_for(lambda: len(items) >= count, timeout=timeout):
                raise TimeoutError(f"expected {count} messages, got {len(items)}")
            return list(items)


@dataclass(frozen=True)
class Envelope:
    """The SMTP envelope of one received message."""

    mail_from: str
    rcpt_tos: list[str]


@dataclass
class SmtpSink(_Recorder):
    """An SMTP server that accepts and keeps every message (parsed as EmailMessage)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        _Recorder.__init__(self)

    @property
    def url(self) -> str:
        """`smtp://[user:pass@]127.0.0.1:port`, credentials URL-encoded."""
        credentials = ""
        if self.username is not None:
            credentials = f"{quote(self.username, safe='')}:{quote(self.password or '', safe='')}@"
        return f"smtp://{credentials}{self.host}:{self.port}"

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """Block until `count` messages arrived; returns a snapshot of them."""
        return self._wait(self.messages, count, timeout)

    # aiosmtpd hooks: they run on the sink's own event loop thread.

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.username is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        raw = envelope.original_content or envelope.content
        message = BytesParser(policy=default_policy).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        with self._condition:
            self.envelopes.append(Envelope(envelope.mail_from, list(envelope.rcpt_tos)))
        self._record(self.messages, message)
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """aiosmtpd authenticator: accepts exactly the configured credentials."""
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8")
        password = auth_data.password.decode("utf-8")
        if (login, password) != (self.username, self.password):
            return AuthResult(success=False, handled=False)
        self._record(self.logins, (login, password))
        return AuthResult(success=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_sink(*, username: str | None = None, password: str | None = None) -> Iterator[SmtpSink]:
    """Run an SMTP sink for the duration of the block.

    With `username`, the sink offers AUTH PLAIN/LOGIN over plain text (tests only), accepts
    only those credentials and refuses DATA from an unauthenticated session.
    """
    for attempt in range(_START_ATTEMPTS):
        sink = SmtpSink(host="127.0.0.1", port=free_port(), username=username, password=password)
        options: dict[str, Any] = {}
        if username is not None:
            options = {"authenticator": sink.authenticate, "auth_require_tls": False}
        controller = Controller(sink, hostname=sink.host, port=sink.port, **options)
        try:
            controller.start()
        except (OSError, RuntimeError):
            # Another process took the port between the probe and the bind: try another one.
            if attempt == _START_ATTEMPTS - 1:
                raise
            continue
        try:
            yield sink
        finally:
            controller.stop()
        return


@dataclass(frozen=True)
class ReceivedRequest:
    """One HTTP request as the SMS sink saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class SmsSink(_Recorder):
    """An HTTP endpoint that keeps every JSON body POSTed to it.

    Set `status` to make it answer with an error, and `delay_seconds` to make it answer late
    (a delay ends early when the sink stops, so no thread outlives the test).
    """

    url: str = ""
    status: int = 200
    delay_seconds: float = 0.0
    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: list[ReceivedRequest] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        _Recorder.__init__(self)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until `count` JSON messages arrived; returns a snapshot of them."""
        return self._wait(self.messages, count, timeout)

    def receive(self, request: ReceivedRequest) -> int:
        """Record a request; returns the status to answer."""
        self._record(self.requests, request)
        try:
            body = json.loads(request.body)
        except ValueError:
            return 400
        if isinstance(body, dict):
            self._record(self.messages, body)
        if self.delay_seconds:
            self.stopping.wait(self.delay_seconds)
        return self.status


def _handler_for(sink: SmsSink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = ReceivedRequest(
                method="POST",
                path=self.path,
                headers={key.lower(): value for key, value in self.headers.items()},
                body=self.rfile.read(length),
            )
            status = sink.receive(request)
            body = b'{"ok": true}' if 200 <= status < 300 else b'{"ok": false}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                # The client gave up (a timeout test): nobody is left to answer.
                pass

        def log_message(self, format: str, *args: Any) -> None:
            # Keep test output clean: requests are recorded on the sink instead.
            pass

    return Handler


@contextmanager
def sms_sink(*, status: int = 200, delay_seconds: float = 0.0) -> Iterator[SmsSink]:
    """Run an SMS webhook sink for the duration of the block; `sink.url` is its endpoint."""
    sink = SmsSink(status=status, delay_seconds=delay_seconds)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(sink))
    server.daemon_threads = True
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sms-sink", daemon=True
    )
    thread.start()
    try:
        yield sink
    finally:
        sink.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
