"""Delivery of email and SMS: SMTP, the SMS webhook, or the dev outbox (SPEC "Messages").

Email goes to `settings.smtp_url`, SMS to `settings.sms_webhook_url`; a medium with no route
goes to the dev outbox in the data dir, never over the network. Every failure to hand a message
over becomes `CodeDeliveryFailureException`, whose text names the kind of failure but never a
host, a credential or the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import aiosmtplib
import anyio.to_thread
import httpx

from cognate.clock import Clock, utc_now
from cognate.errors import CodeDeliveryFailureException
from cognate.messages import outbox
from cognate.messages.templates import mask_email, mask_phone
from cognate.settings import Settings

logger = logging.getLogger("cognate.messages")

SMTP_TIMEOUT_SECONDS = 15.0
SMS_TIMEOUT_SECONDS = 5.0

# scheme -> (default port, implicit TLS, STARTTLS). `smtp://` never upgrades: an operator who
# wants TLS says so, and a server that merely offers STARTTLS with a certificate we cannot
# verify must not break a plain relay on localhost.
_SMTP_SCHEMES = {
    "smtp": (25, False, False),
    "smtp+starttls": (587, False, True),
    "smtps": (465, True, False),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpRoute:
    """Where and how email is handed over, parsed from `smtp_url`."""

    hostname: str
    port: int
    use_tls: bool
    start_tls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpRoute:
    """Parse `smtp://`, `smtp+starttls://` or `smtps://[user:pass@]host[:port]`.

    Credentials are URL-decoded. Raises ValueError (without echoing the URL, which may hold a
    password) when the scheme or host is missing or unknown.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SMTP_SCHEMES:
        raise ValueError("smtp_url must start with smtp://, smtp+starttls:// or smtps://")
    if not parts.hostname:
        raise ValueError("smtp_url has no host")
    default_port, use_tls, start_tls = _SMTP_SCHEMES[scheme]
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise ValueError("smtp_url has an invalid port") from exc
    return SmtpRoute(
        hostname=parts.hostname,
        port=port,
        use_tls=use_tls,
        start_tls=start_tls,
        username=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _check_webhook_url(url: str) -> str:
    if urlsplit(url).scheme.lower() not in {"http", "https"} or not urlsplit(url).hostname:
        raise ValueError("sms_webhook_url must be an http:// or https:// URL")
    return url


def _smtp_failure_reason(exc: Exception) -> str:
    """A client-safe description of an SMTP failure: no host names, no server text."""
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return "the mail server rejected the credentials"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPRecipientRefused):
        return "the mail server refused the recipient"
    if isinstance(exc, TimeoutError):
        return "the mail server timed out"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"the mail server answered {exc.code}"
    if isinstance(exc, OSError):
        return "the mail server could not be reached"
    return "the SMTP exchange failed"


def _failure(reason: str) -> CodeDeliveryFailureException:
    return CodeDeliveryFailureException(f"Unable to deliver the message: {reason}.")


class Delivery:
    """Sends email and SMS where the settings say, or keeps them in the dev outbox.

    One instance serves the whole app; its HTTP client is created on first use and pooled, so
    call `close()` at shutdown.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = utc_now,
        timeout_seconds: float | None = None,
    ) -> None:
        """Validate the routes now, so a bad URL stops the server at start (raises ValueError).

        `timeout_seconds` overrides both the SMTP and the webhook timeout (tests use it).
        """
        self._data_dir: Path = settings.data_dir
        self._email_from = settings.email_from
        self._is_loopback_only = settings.is_loopback_only
        self._smtp = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
        self._sms_url = (
            _check_webhook_url(settings.sms_webhook_url) if settings.sms_webhook_url else None
        )
        self._clock = clock
        self._smtp_timeout = timeout_seconds or SMTP_TIMEOUT_SECONDS
        self._sms_timeout = timeout_seconds or SMS_TIMEOUT_SECONDS
        self._http: httpx.AsyncClient | None = None

    async def send_email(
        self,
        *,
        to: str,
        subject: str,
        text: str,
        html: str | None = None,
        sender: str | None = None,
    ) -> None:
        """Hand one email to the SMTP server, or append it to the outbox when none is set.

        With `html` the message is multipart/alternative (text, then html). Returns once the
        server accepted the message; raises CodeDeliveryFailureException otherwise.
        """
        from_address = sender or self._email_from
        if self._smtp is None:
            await self._keep_in_outbox(
                medium="EMAIL", to=to, text=text, sender=from_address, subject=subject, html=html
            )
            return
        message = self._build_email(
            to=to, subject=subject, text=text, html=html, sender=from_address
        )
        route = self._smtp
        try:
            await aiosmtplib.send(
                message,
                hostname=route.hostname,
                port=route.port,
                username=route.username,
                password=route.password,
                use_tls=route.use_tls,
                start_tls=route.start_tls,
                timeout=self._smtp_timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            logger.warning("email to %s failed: %s: %s", mask_email(to), type(exc).__name__, exc)
            raise _failure(_smtp_failure_reason(exc)) from exc
        logger.info("email to %s sent over SMTP", mask_email(to))

    async def send_sms(self, *, to: str, message: str) -> None:
        """POST one SMS to the webhook, or append it to the outbox when none is set.

        Returns once the webhook answered 2xx; raises CodeDeliveryFailureException otherwise.
        """
        if self._sms_url is None:
            await self._keep_in_outbox(medium="SMS", to=to, text=message)
            return
        try:
            response = await self._client().post(
                self._sms_url, json={"phone_number": to, "message": message}
            )
        except httpx.TimeoutException as exc:
            logger.warning("SMS to %s failed: webhook timed out", mask_phone(to))
            raise _failure("the SMS webhook timed out") from exc
        except httpx.HTTPError as exc:
            logger.warning("SMS to %s failed: %s: %s", mask_phone(to), type(exc).__name__, exc)
            raise _failure("the SMS webhook could not be reached") from exc
        if not response.is_success:
            logger.warning(
                "SMS to %s failed: webhook answered %s", mask_phone(to), response.status_code
            )
            raise _failure(f"the SMS webhook answered HTTP {response.status_code}")
        logger.info("SMS to %s sent to the webhook", mask_phone(to))

    async def close(self) -> None:
        """Release pooled HTTP connections; the instance stays usable (a new client is made)."""
        client, self._http = self._http, None
        if client is not None:
            await client.aclose()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            # Redirects are not followed: a webhook that moved is a configuration error, and
            # following one would resend a code to wherever the answer points.
            self._http = httpx.AsyncClient(timeout=self._sms_timeout, follow_redirects=False)
        return self._http

    def _build_email(
        self, *, to: str, subject: str, text: str, html: str | None, sender: str
    ) -> EmailMessage:
        message = EmailMessage()
        try:
            message["From"] = sender
            message["To"] = to
            message["Subject"] = subject
        except ValueError as exc:
            # The email policy refuses CR/LF in headers: header injection, never delivered.
            raise _failure("the address or subject is not a valid email header") from exc
        message["Date"] = format_datetime(self._clock())
        # An explicit domain avoids the DNS lookup make_msgid would otherwise do per message.
        domain = sender.rpartition("@")[2].strip(" >") or "cognate.invalid"
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        return message

    async def _keep_in_outbox(
        self,
        *,
        medium: outbox.Medium,
        to: str,
        text: str,
        sender: str | None = None,
        subject: str | None = None,
        html: str | None = None,
    ) -> None:
        masked = mask_email(to) if medium == "EMAIL" else mask_phone(to)
        try:
            await anyio.to_thread.run_sync(
                lambda: outbox.append_message(
                    self._data_dir,
                    medium=medium,
                    to=to,
                    text=text,
                    sent_at=self._clock(),
                    sender=sender,
                    subject=subject,
                    html=html,
                )
            )
        except OSError as exc:
            logger.warning("%s to %s not kept in the dev outbox: %s", medium, masked, exc)
            raise _failure("the dev outbox could not be written") from exc
        # Codes reach the log only on a loopback-only server: there, the log reader is the
        # developer at the machine; anywhere else it may be a shared log pipeline.
        if self._is_loopback_only:
            logger.info("%s to %s kept in the dev outbox: %s", medium, masked, text)
        else:
            logger.info("%s to %s kept in the dev outbox", medium, masked)
