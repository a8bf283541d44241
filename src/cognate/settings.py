"""Every option of Cognate, typed, each with one docstring; read from COGNATE_* env vars.

This is the only module that knows about pydantic-settings. An invalid value stops the process
at start with a clear message, never later.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """The server's configuration. Command-line flags win over env vars, which win over defaults."""

    model_config = SettingsConfigDict(env_prefix="COGNATE_", frozen=True, extra="ignore")

    host: str = "127.0.0.1"
    """Address to listen on."""
    port: int = Field(default=9229, ge=0, le=65535)
    """Port to listen on (0 picks a free one)."""
    data_dir: Path = Path(".cognate")
    """Directory for the SQLite file, the master key and the dev outbox."""
    database_url: str | None = None
    """SQLAlchemy URL of the store (`postgresql://…`); SQLite in the data dir when unset."""
    public_url: str | None = None
    """Externally visible base URL; `http://{host}:{port}` when unset."""
    region: str = "us-east-1"
    """AWS region in IDs, ARNs and the SigV4 credential scope."""
    account_id: str = Field(default="000000000000", pattern=r"^\d{12}$")
    """AWS account id in ARNs."""
    admin_credentials: str | None = None
    """`KEYID:SECRET[,KEYID:SECRET…]` accepted for SigV4-signed operations."""
    master_key: str | None = None
    """Base64 of the 32-byte key encrypting secrets at rest; `{data_dir}/master.key` when unset."""
    smtp_url: str | None = None
    """`smtp://[user:pass@]host:port` or `smtps://…`: where email goes; dev outbox when unset."""
    email_from: str = "no-reply@verificationemail.com"
    """Sender when a pool's EmailConfiguration names none."""
    sms_webhook_url: str | None = None
    """URL receiving SMS as a JSON POST `{"phone_number", "message"}`; dev outbox when unset."""
    functions_dir: Path | None = None
    """Directory holding Lambda trigger handlers as `NAME.py`."""
    function_urls: str | None = None
    """`NAME=URL[,NAME=URL…]`: functions served over HTTPS (http only on loopback hosts)."""
    log_level: str = "info"
    """Log level of the server (debug, info, warning, error)."""
    rate_limit_per_ip: float = Field(default=5000.0, ge=0)
    """Unsigned (public) API requests per second allowed per client address and operation
    category (sign-in, sign-up, recovery, account), per process; 0 disables. The default sits
    above what one process serves, so only floods meet it: set your expected rate per client."""
    rate_limit_burst: int = Field(default=10000, ge=1)
    """Requests a client may make at once before `rate_limit_per_ip` paces it (bucket size)."""
    trusted_proxies: str | None = None
    """`IP|CIDR[,…]` of reverse proxies whose `X-Forwarded-For` names the client (right-most
    untrusted hop); from any other peer the header is ignored."""

    @field_validator("admin_credentials")
    @classmethod
    def _check_credentials(cls, value: str | None) -> str | None:
        if value is not None:
            for pair in value.split(","):
                key_id, sep, secret = pair.strip().partition(":")
                if not sep or not key_id or not secret:
                    raise ValueError("expected KEYID:SECRET[,KEYID:SECRET…]")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str | None) -> str | None:
        for part in (value or "").split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError as exc:
                    raise ValueError(f"{part.strip()!r} is not an IP address or CIDR") from exc
        return value

    @field_validator("function_urls")
    @classmethod
    def _check_function_urls(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for pair in value.split(","):
            name, sep, url = pair.strip().partition("=")
            parsed = urlsplit(url.strip())
            is_local_http = parsed.scheme == "http" and _is_loopback(parsed.hostname or "")
            if not sep or not name.strip() or not parsed.hostname:
                raise ValueError("expected NAME=URL[,NAME=URL…]")
            if parsed.scheme != "https" and not is_local_http:
                raise ValueError(f"{url.strip()}: https required (http only on loopback hosts)")
        return value

    @property
    def is_loopback_only(self) -> bool:
        """True when the server listens on a loopback address alone (dev credentials allowed)."""
        return _is_loopback(self.host)

    def credentials(self) -> dict[str, str]:
        """SigV4 key id -> secret; the dev pair test/test only on a loopback-only server."""
        if self.admin_credentials:
            pairs = (pair.strip().partition(":") for pair in self.admin_credentials.split(","))
            return {key_id: secret for key_id, _, secret in pairs}
        if self.is_loopback_only:
            return {"test": "test"}
        return {}

    def base_url(self, bound_port: int | None = None) -> str:
        """The public base URL, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{bound_port or self.port}"

    def store_url(self) -> str:
        """The async SQLAlchemy URL for the store."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'cognate.db'}"
        for plain, driver in (
            ("postgresql://", "postgresql+asyncpg://"),
            ("postgres://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(plain):
                return driver + url[len(plain) :]
        return url
