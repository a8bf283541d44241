"""Two servers on one database and one clock the test moves, delivering to SMTP and SMS sinks:
for what must hold across servers (counts kept in the database) and over time (windows,
lifetimes). Used by test_sign_in_codes.py and test_quotas.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn

from cognate.app import create_app
from cognate.clock import utc_now
from cognate.settings import Settings
from tests.conftest import ServerThread, free_port, make_client
from tests.sinks import SmsSink, SmtpSink, sms_sink, smtp_sink
from tests.wire.delivery import CODE


class ShiftedClock:
    """The real clock plus an offset that tests only ever move forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() + self.offset


class ClockedServer(ServerThread):
    """conftest's ServerThread, with the app built on `clock`."""

    def __init__(self, settings: Settings, clock: ShiftedClock) -> None:
        config = uvicorn.Config(
            create_app(settings, clock=clock),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)


@dataclass
class Servers:
    """Two servers on one database and one clock, and the sinks they deliver to."""

    first: Any
    second: Any
    clock: ShiftedClock
    mail: SmtpSink
    sms: SmsSink

    def code_for(self, address: str) -> str:
        self.mail.wait_for(1)
        for message in reversed(self.mail.messages):
            if message["To"] == address:
                body = message.get_body(("plain",))
                assert body is not None
                match = CODE.search(body.get_content())
                assert match
                return match.group(1)
        raise AssertionError(f"no mail to {address}")

    def sms_code_for(self, number: str) -> str:
        self.sms.wait_for(1)
        for message in reversed(self.sms.messages):
            if message["phone_number"] == number:
                match = CODE.search(message["message"])
                assert match
                return match.group(1)
        raise AssertionError(f"no SMS to {number}")


def _start(
    data_dir: Path, clock: ShiftedClock, port: int, **overrides: Any
) -> tuple[ClockedServer, Any]:
    settings = Settings(host="127.0.0.1", port=port, data_dir=data_dir, **overrides)
    thread = ClockedServer(settings, clock)
    thread.start()
    return thread, make_client(f"http://127.0.0.1:{port}")


@contextmanager
def clocked_servers(data_dir: Path, database_url: str | None) -> Iterator[Servers]:
    """Two servers on the database in `data_dir` (or `database_url`) and one ShiftedClock,
    with one public URL as behind a load balancer: a token either issues, both accept."""
    clock = ShiftedClock()
    first_port, second_port = free_port(), free_port()
    with smtp_sink() as mail, sms_sink() as sms:
        overrides = {
            "smtp_url": mail.url, "sms_webhook_url": sms.url, "database_url": database_url,
            "public_url": f"http://127.0.0.1:{first_port}",
        }  # fmt: skip
        first_thread, first = _start(data_dir, clock, first_port, **overrides)
        second_thread, second = _start(data_dir, clock, second_port, **overrides)
        try:
            yield Servers(first=first, second=second, clock=clock, mail=mail, sms=sms)
        finally:
            second_thread.stop()
            first_thread.stop()
