"""The `cognate` command: `serve` runs the server, `outbox` prints the dev outbox, `keys rotate`
rotates a pool's token signing keys, `decrypt-code` decrypts a custom sender's code."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cognate.settings import Settings

# flag -> Settings field; each flag's env twin is COGNATE_<FIELD>.
_SERVE_FLAGS: dict[str, tuple[str, type, str]] = {
    "--host": ("host", str, "address to listen on (COGNATE_HOST, default 127.0.0.1)"),
    "--port": ("port", int, "port to listen on (COGNATE_PORT, default 9229)"),
    "--data-dir": ("data_dir", Path, "state directory (COGNATE_DATA_DIR, default .cognate)"),
    "--database-url": ("database_url", str, "postgresql://… store (COGNATE_DATABASE_URL)"),
    "--public-url": ("public_url", str, "external base URL (COGNATE_PUBLIC_URL)"),
    "--region": ("region", str, "AWS region (COGNATE_REGION, default us-east-1)"),
    "--account-id": ("account_id", str, "AWS account id (COGNATE_ACCOUNT_ID)"),
    "--admin-credentials": (
        "admin_credentials",
        str,
        "KEYID:SECRET[,…] for SigV4 (COGNATE_ADMIN_CREDENTIALS)",
    ),
    "--smtp-url": ("smtp_url", str, "smtp://host:port for email (COGNATE_SMTP_URL)"),
    "--email-from": ("email_from", str, "default sender (COGNATE_EMAIL_FROM)"),
    "--sms-webhook-url": ("sms_webhook_url", str, "SMS webhook (COGNATE_SMS_WEBHOOK_URL)"),
    "--functions-dir": ("functions_dir", Path, "trigger handlers (COGNATE_FUNCTIONS_DIR)"),
    "--function-urls": (
        "function_urls",
        str,
        "NAME=URL[,…] trigger webhooks (COGNATE_FUNCTION_URLS)",
    ),
    "--log-level": ("log_level", str, "debug, info, warning, error (COGNATE_LOG_LEVEL)"),
    "--rate-limit-per-ip": (
        "rate_limit_per_ip",
        float,
        "public API requests/s per client and category, 0 = off (COGNATE_RATE_LIMIT_PER_IP)",
    ),
    "--rate-limit-burst": (
        "rate_limit_burst",
        int,
        "requests at once before pacing (COGNATE_RATE_LIMIT_BURST, default 10000)",
    ),
    "--trusted-proxies": (
        "trusted_proxies",
        str,
        "IP|CIDR[,…] whose X-Forwarded-For is believed (COGNATE_TRUSTED_PROXIES)",
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cognate", description="A self-hosted identity service speaking Cognito's APIs."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server (AWS APIs, OIDC, hosted UI)")
    for flag, (field, kind, text) in _SERVE_FLAGS.items():
        serve.add_argument(flag, dest=field, type=kind, default=None, help=text)
    outbox = commands.add_parser("outbox", help="print the messages in the dev outbox")
    outbox.add_argument("--data-dir", dest="data_dir", type=Path, default=None)
    outbox.add_argument("--json", action="store_true", help="one JSON object per line")
    keys = commands.add_parser("keys", help="manage the pools' token signing keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    rotate = key_commands.add_parser(
        "rotate",
        help="retire a pool's ID and access token keys and make new ones (old tokens keep "
        "verifying until they expire; other server processes switch within 60 s)",
    )
    rotate.add_argument("--pool-id", dest="pool_id", required=True)
    for flag in ("--data-dir", "--database-url"):
        field, kind, text = _SERVE_FLAGS[flag]
        rotate.add_argument(flag, dest=field, type=kind, default=None, help=text)
    decrypt = commands.add_parser(
        "decrypt-code",
        help="decrypt the request.code a CustomEmailSender/CustomSMSSender function received "
        "(master key from COGNATE_MASTER_KEY or {data_dir}/master.key, as the server reads it)",
    )
    decrypt.add_argument(
        "--kms-key-id",
        dest="kms_key_id",
        required=True,
        help="the pool's LambdaConfig.KMSKeyID, exactly as configured",
    )
    decrypt.add_argument("--data-dir", dest="data_dir", type=Path, default=None)
    decrypt.add_argument("ciphertext", help="the base64 request.code")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        field: getattr(args, field)
        for field, _kind, _text in _SERVE_FLAGS.values()
        if getattr(args, field, None) is not None
    }
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        sys.exit(f"cognate: invalid setting: {exc}")


def _serve(settings: Settings) -> None:
    import uvicorn

    from cognate.app import create_app
    from cognate.secretbox import MasterKeyError

    if not settings.credentials():
        sys.exit(
            f"cognate: refusing to listen on {settings.host} without COGNATE_ADMIN_CREDENTIALS "
            "(the development pair test/test is only accepted on loopback)"
        )
    try:
        app = create_app(settings)
    except MasterKeyError as exc:
        sys.exit(f"cognate: {exc}")
    # uvicorn handles SIGTERM: it stops accepting, finishes requests in flight, runs shutdown,
    # then re-raises the signal to the handler that was there before it; ours makes that a
    # clean exit with status 0 rather than death by signal.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        # The client address is the socket peer unless --trusted-proxies says otherwise:
        # uvicorn's own X-Forwarded-For handling (on for 127.0.0.1 by default) would bypass it.
        proxy_headers=False,
    )


def _exit_cleanly(_signum: int, _frame: object) -> None:
    sys.exit(0)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `cognate` command."""
    args = _parser().parse_args(argv)
    settings = _settings(args)
    if args.command == "serve":
        _serve(settings)
    elif args.command == "outbox":
        from cognate.messages.outbox import print_outbox

        print_outbox(settings.data_dir, as_json=args.json)
    elif args.command == "keys":
        _rotate_keys(settings, args.pool_id)
    elif args.command == "decrypt-code":
        _decrypt_code(settings, args.kms_key_id, args.ciphertext)


def _decrypt_code(settings: Settings, kms_key_id: str, ciphertext: str) -> None:
    from cognate.triggers.code_encryption import decrypt_code, read_master_key

    try:
        code = decrypt_code(ciphertext, kms_key_id, read_master_key(settings))
    except OSError as exc:
        sys.exit(f"cognate: cannot read the master key: {exc}")
    except ValueError as exc:
        sys.exit(f"cognate: {exc}")
    print(code)  # noqa: T201 (command output)


def _rotate_keys(settings: Settings, pool_id: str) -> None:
    import asyncio
    import json

    from cognate.app import create_context
    from cognate.store.pools import get_pool
    from cognate.tokens.keys import rotate

    async def run() -> list[str] | None:
        ctx = create_context(settings)
        try:
            await ctx.store.migrate()
            async with ctx.store.read() as conn:
                if await get_pool(conn, pool_id) is None:
                    return None
            return await rotate(ctx, pool_id)
        finally:
            await ctx.store.close()

    kids = asyncio.run(run())
    if kids is None:
        sys.exit(f"cognate: user pool {pool_id} does not exist")
    print(json.dumps({"UserPoolId": pool_id, "kids": kids}))  # noqa: T201 (command output)
