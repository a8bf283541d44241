"""Delivery against real sinks: SMTP (aiosmtpd), the SMS webhook (HTTP), and the dev outbox."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cognate.errors import CodeDeliveryFailureException
from cognate.messages import outbox
from cognate.messages.delivery import Delivery, parse_smtp_url
from cognate.messages.outbox import print_outbox, read_outbox
from cognate.settings import Settings
from tests.sinks import free_port, sms_sink, smtp_sink

FIXED_NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def frozen_clock() -> datetime:
    return FIXED_NOW


def send_email(
    delivery: Delivery,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    sender: str | None = None,
) -> None:
    async def run() -> None:
        try:
            await delivery.send_email(to=to, subject=subject, text=text, html=html, sender=sender)
        finally:
            await delivery.close()

    asyncio.run(run())


def send_sms(delivery: Delivery, *messages: tuple[str, str]) -> None:
    async def run() -> None:
        try:
            for to, message in messages:
                await delivery.send_sms(to=to, message=message)
        finally:
            await delivery.close()

    asyncio.run(run())


# SMTP


def test_plain_email_reaches_the_smtp_server(tmp_path: Path) -> None:
    with smtp_sink() as sink:
        delivery = Delivery(Settings(data_dir=tmp_path, smtp_url=sink.url), clock=frozen_clock)
        send_email(delivery, to="jane@example.com", subject="Your code", text="Code 123456")
    [message] = sink.messages
    assert message["From"] == "no-reply@verificationemail.com"
    assert message["To"] == "jane@example.com"
    assert message["Subject"] == "Your code"
    assert message["Date"] == "Mon, 06 May 2024 07:08:09 +0000"
    assert message["Message-ID"].endswith("@verificationemail.com>")
    assert not message.is_multipart()
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "Code 123456"
    assert sink.envelopes[0].mail_from == "no-reply@verificationemail.com"
    assert sink.envelopes[0].rcpt_tos == ["jane@example.com"]
    assert not read_outbox(tmp_path)


def test_html_email_is_multipart_alternative(tmp_path: Path) -> None:
    with smtp_sink() as sink:
        delivery = Delivery(Settings(data_dir=tmp_path, smtp_url=sink.url))
        send_email(
            delivery,
            to="jane@example.com",
            subject="Welcome",
            text="Code 654321",
            html="<p>Code <b>654321</b></p>",
            sender="Support <support@example.org>",
        )
    [message] = sink.messages
    assert message["From"] == "Support <support@example.org>"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content().strip() == "Code 654321"
    assert html.get_content_type() == "text/html"
    assert html.get_content().strip() == "<p>Code <b>654321</b></p>"
    assert sink.envelopes[0].mail_from == "support@example.org"


def test_smtp_credentials_from_the_url_are_decoded_and_used(tmp_path: Path) -> None:
    with smtp_sink(username="mailer@example.org", password="p@ss:w/rd%") as sink:
        assert "p%40ss%3Aw%2Frd%25" in sink.url
        delivery = Delivery(Settings(data_dir=tmp_path, smtp_url=sink.url))
        send_email(delivery, to="a@example.com", subject="s", text="t")
    assert sink.logins == [("mailer@example.org", "p@ss:w/rd%")]
    assert len(sink.messages) == 1


def test_wrong_smtp_credentials_fail_without_leaking_them(tmp_path: Path) -> None:
    with smtp_sink(username="mailer", password="right") as sink:
        url = sink.url.replace(":right@", ":wrong-secret@")
        delivery = Delivery(Settings(data_dir=tmp_path, smtp_url=url))
        with pytest.raises(CodeDeliveryFailureException) as caught:
            send_email(delivery, to="a@example.com", subject="s", text="t")
    assert caught.value.message == (
        "Unable to deliver the message: the mail server rejected the credentials."
    )
    assert "wrong-secret" not in str(caught.value)
    assert not sink.messages


def test_closed_smtp_port_is_a_delivery_failure(tmp_path: Path) -> None:
    url = f"smtp://127.0.0.1:{free_port()}"
    delivery = Delivery(Settings(data_dir=tmp_path, smtp_url=url), timeout_seconds=2)
    with pytest.raises(CodeDeliveryFailureException, match="could not be reached") as caught:
        send_email(delivery, to="a@example.com", subject="s", text="t")
    assert "127.0.0.1" not in caught.value.message
    assert not read_outbox(tmp_path)


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_required_tls_that_the_server_lacks_is_a_failure(tmp_path: Path, scheme: str) -> None:
    with smtp_sink() as sink:
        url = sink.url.replace("smtp://", f"{scheme}://")
        delivery = Delivery(Settings(data_dir=tmp_path, smtp_url=url), timeout_seconds=2)
        with pytest.raises(CodeDeliveryFailureException, match=r"^Unable to deliver the message"):
            send_email(delivery, to="a@example.com", subject="s", text="t")
    assert not sink.messages


def test_header_injection_is_refused(tmp_path: Path) -> None:
    with smtp_sink() as sink:
        delivery = Delivery(Settings(data_dir=tmp_path, smtp_url=sink.url))
        with pytest.raises(CodeDeliveryFailureException, match="not a valid email header"):
            send_email(delivery, to="a@example.com", subject="Hi\r\nBcc: x@evil.test", text="t")
    assert not sink.messages


def test_smtp_url_parsing() -> None:
    route = parse_smtp_url("smtps://user%40x:se%2Fcret@mail.example.org")
    assert (route.hostname, route.port, route.use_tls, route.start_tls) == (
        "mail.example.org",
        465,
        True,
        False,
    )
    assert (route.username, route.password) == ("user@x", "se/cret")
    assert parse_smtp_url("smtp+starttls://h").port == 587
    plain = parse_smtp_url("smtp://h:2525")
    assert (plain.port, plain.use_tls, plain.start_tls, plain.username) == (
        2525,
        False,
        False,
        None,
    )


@pytest.mark.parametrize("url", ["http://u:topsecret@h:25", "smtp://", "smtp://u:topsecret@h:x"])
def test_bad_smtp_url_stops_construction_without_echoing_it(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError, match="smtp_url") as caught:
        Delivery(Settings(data_dir=tmp_path, smtp_url=url))
    assert "topsecret" not in str(caught.value)


# SMS


def test_sms_is_posted_as_json(tmp_path: Path) -> None:
    with sms_sink() as sink:
        delivery = Delivery(Settings(data_dir=tmp_path, sms_webhook_url=sink.url))
        send_sms(delivery, ("+15551231234", "Code 1"), ("+15559999999", "Code 2"))
    assert sink.messages == [
        {"phone_number": "+15551231234", "message": "Code 1"},
        {"phone_number": "+15559999999", "message": "Code 2"},
    ]
    assert sink.requests[0].path == "/sms"
    assert sink.requests[0].headers["content-type"] == "application/json"
    assert not read_outbox(tmp_path)


def test_webhook_error_status_is_a_delivery_failure(tmp_path: Path) -> None:
    with sms_sink(status=500) as sink:
        delivery = Delivery(Settings(data_dir=tmp_path, sms_webhook_url=sink.url))
        with pytest.raises(
            CodeDeliveryFailureException,
            match=r"^Unable to deliver the message: the SMS webhook answered HTTP 500\.$",
        ):
            send_sms(delivery, ("+15551231234", "Code 1"))
    assert len(sink.messages) == 1


def test_unreachable_webhook_is_a_delivery_failure(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/sms?token=hush"
    delivery = Delivery(Settings(data_dir=tmp_path, sms_webhook_url=url))
    with pytest.raises(CodeDeliveryFailureException, match="could not be reached") as caught:
        send_sms(delivery, ("+15551231234", "Code 1"))
    assert "hush" not in caught.value.message


def test_slow_webhook_times_out(tmp_path: Path) -> None:
    with sms_sink(delay_seconds=30) as sink:
        delivery = Delivery(
            Settings(data_dir=tmp_path, sms_webhook_url=sink.url), timeout_seconds=0.3
        )
        with pytest.raises(CodeDeliveryFailureException, match="timed out"):
            send_sms(delivery, ("+15551231234", "Code 1"))


def test_bad_webhook_url_stops_construction(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sms_webhook_url"):
        Delivery(Settings(data_dir=tmp_path, sms_webhook_url="ftp://h/x"))


# Dev outbox


def test_unconfigured_media_go_to_the_outbox(tmp_path: Path) -> None:
    delivery = Delivery(Settings(data_dir=tmp_path), clock=frozen_clock)
    send_email(delivery, to="jane@example.com", subject="S", text="Code 1", html="<p>Code 1</p>")
    send_sms(delivery, ("+15551231234", "Code 2"))
    email, sms = read_outbox(tmp_path)
    assert email.pop("id") != sms.pop("id")
    assert email == {
        "sent_at": "2024-05-06T07:08:09Z",
        "medium": "EMAIL",
        "to": "jane@example.com",
        "from": "no-reply@verificationemail.com",
        "subject": "S",
        "text": "Code 1",
        "html": "<p>Code 1</p>",
    }
    assert sms == {
        "sent_at": "2024-05-06T07:08:09Z",
        "medium": "SMS",
        "to": "+15551231234",
        "text": "Code 2",
    }
    mode = stat.S_IMODE(outbox.outbox_path(tmp_path).stat().st_mode)
    assert mode == 0o600


def test_outbox_is_created_in_a_missing_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "new" / "dir"
    send_sms(Delivery(Settings(data_dir=data_dir)), ("+15551231234", "Code"))
    assert [record["text"] for record in read_outbox(data_dir)] == ["Code"]


def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    text = "x" * 20_000

    def write_many() -> None:
        for _ in range(20):
            outbox.append_message(tmp_path, medium="SMS", to="+1", text=text, sent_at=FIXED_NOW)

    threads = [threading.Thread(target=write_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = outbox.outbox_path(tmp_path).read_text().splitlines()
    assert len(lines) == 160
    assert all(json.loads(line)["text"] == text for line in lines)


def test_read_outbox_skips_a_torn_line(tmp_path: Path) -> None:
    outbox.append_message(tmp_path, medium="SMS", to="+1", text="a", sent_at=FIXED_NOW)
    with outbox.outbox_path(tmp_path).open("a") as file:
        file.write('{"id": "cut sho\n')
    outbox.append_message(tmp_path, medium="SMS", to="+1", text="b", sent_at=FIXED_NOW)
    assert [record["text"] for record in read_outbox(tmp_path)] == ["a", "b"]


def test_print_outbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    print_outbox(tmp_path, as_json=False)
    assert capsys.readouterr().out == "The outbox is empty.\n"
    print_outbox(tmp_path, as_json=True)
    assert capsys.readouterr() == ("", "The outbox is empty.\n")

    delivery = Delivery(Settings(data_dir=tmp_path), clock=frozen_clock)
    send_email(delivery, to="jane@example.com", subject="Your code", text="Code 777")
    send_sms(delivery, ("+15551231234", "Code 888"))

    print_outbox(tmp_path, as_json=False)
    human = capsys.readouterr().out
    assert "--- EMAIL 2024-05-06T07:08:09Z" in human
    assert (
        "To: jane@example.com\nFrom: no-reply@verificationemail.com\nSubject: Your code\n" in human
    )
    assert "\nCode 777\n" in human
    assert "--- SMS 2024-05-06T07:08:09Z" in human
    assert "To: +15551231234\n\nCode 888\n" in human

    print_outbox(tmp_path, as_json=True)
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == read_outbox(tmp_path)


# Logging


def test_codes_are_logged_only_on_a_loopback_only_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cognate.messages")
    send_sms(Delivery(Settings(data_dir=tmp_path, host="127.0.0.1")), ("+15551231234", "Code 111"))
    assert "Code 111" in caplog.text
    assert "+*******1234" in caplog.text
    assert "+15551231234" not in caplog.text

    caplog.clear()
    send_sms(Delivery(Settings(data_dir=tmp_path, host="10.0.0.5")), ("+15551231234", "Code 222"))
    assert "kept in the dev outbox" in caplog.text
    assert "Code 222" not in caplog.text


def test_delivered_messages_are_logged_without_body(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cognate.messages")
    with smtp_sink() as mail, sms_sink() as sms:
        settings = Settings(data_dir=tmp_path, smtp_url=mail.url, sms_webhook_url=sms.url)
        delivery = Delivery(settings)
        send_email(delivery, to="jane@example.com", subject="S", text="Code 333")
        send_sms(delivery, ("+15551231234", "Code 444"))
    assert "j***@e***" in caplog.text
    assert "+*******1234" in caplog.text
    assert "Code 333" not in caplog.text
    assert "Code 444" not in caplog.text
