"""A server delivering email and SMS to real sinks, shared by the sign-up, recovery and
verification wire tests (the `env` fixture in tests/wire/conftest.py)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tests.conftest import make_client, start_server
from tests.sinks import SmsSink, SmtpSink, sms_sink, smtp_sink

PASSWORD = "Passw0rd!"
CODE = re.compile(r"\b(\d{6})\b")


class Env:
    """A server delivering to SMTP and SMS sinks, with the sinks and a boto3 client."""

    def __init__(self, client: Any, mail: SmtpSink, sms: SmsSink, url: str) -> None:
        self.client = client
        self.mail = mail
        self.sms = sms
        self.url = url

    def pool(self, **kwargs: Any) -> str:
        name = f"pool-{uuid.uuid4().hex[:8]}"
        return str(self.client.create_user_pool(PoolName=name, **kwargs)["UserPool"]["Id"])

    def app(self, pool_id: str, **kwargs: Any) -> str:
        kwargs.setdefault(
            "ExplicitAuthFlows", ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
        )
        created = self.client.create_user_pool_client(
            UserPoolId=pool_id, ClientName="app", **kwargs
        )
        return str(created["UserPoolClient"]["ClientId"])

    def mail_to(self, address: str) -> EmailMessage:
        """The newest message delivered to `address` (waits for at least one)."""
        self.mail.wait_for(1)
        for _ in range(100):
            found = [m for m in self.mail.messages if m["To"] == address]
            if found:
                return found[-1]
            self.mail.wait_for(len(self.mail.messages) + 1)
        raise AssertionError(f"no mail to {address}")

    def mail_count(self, address: str) -> int:
        return sum(1 for m in self.mail.messages if m["To"] == address)

    def code_in_mail(self, address: str) -> str:
        body = self.mail_to(address).get_body(("plain",))
        assert body is not None
        match = CODE.search(body.get_content())
        assert match, "no code in the message"
        return match.group(1)


@contextmanager
def delivering_server(data_dir: Path) -> Iterator[Env]:
    """A server whose email goes to an SMTP sink and whose SMS go to a webhook sink."""
    with smtp_sink() as mail, sms_sink() as sms:
        thread, running = start_server(data_dir, smtp_url=mail.url, sms_webhook_url=sms.url)
        try:
            yield Env(make_client(running.url), mail, sms, running.url)
        finally:
            thread.stop()


def email() -> str:
    return f"u{uuid.uuid4().hex[:10]}@example.com"
