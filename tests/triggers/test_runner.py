"""TriggerRunner with real worker processes and a real local webhook server."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import pytest

from cognate.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from cognate.settings import Settings
from cognate.triggers.runner import TriggerRunner

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
EVENT = {"version": "1", "triggerSource": "PreSignUp_SignUp", "request": {}, "response": {}}


def write(directory: Path, name: str, body: str) -> None:
    path = directory / f"{name}.py"
    path.write_text(body)
    # A later edit within the same clock tick must still look changed.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def functions(tmp_path: Path) -> Path:
    write(tmp_path, "ok", "def handler(event, context):\n"
          "    event['response']['name'] = context.function_name\n"
          "    event['response']['left'] = context.get_remaining_time_in_millis()\n"
          "    event['response']['arn'] = context.invoked_function_arn\n"
          "    event['response']['version'] = context.function_version\n"
          "    return event\n")  # fmt: skip
    write(tmp_path, "raising", "def handler(event, context):\n    raise ValueError('nope')\n")
    write(tmp_path, "hang", "import time\ndef handler(event, context):\n    time.sleep(6)\n")
    write(tmp_path, "crash", "import os\ndef handler(event, context):\n    os._exit(1)\n")
    write(tmp_path, "lambda_style", "def lambda_handler(event, context):\n"
          "    event['response']['style'] = 'lambda_handler'\n    return event\n")  # fmt: skip
    write(tmp_path, "not_dict", "def handler(event, context):\n    return 'yes'\n")
    write(tmp_path, "no_handler", "VALUE = 1\n")
    return tmp_path


def run(runner: TriggerRunner, name: str, suffix: str = "") -> dict[str, Any]:
    async def call() -> dict[str, Any]:
        return await runner.invoke("PreSignUp", ARN + name + suffix, EVENT)

    return anyio.run(call)


@pytest.fixture
def runner(functions: Path) -> Iterator[TriggerRunner]:
    made = TriggerRunner(Settings(functions_dir=functions), timeout_seconds=2.0)
    yield made
    anyio.run(made.aclose)


def test_handler_gets_a_lambda_context(runner: TriggerRunner) -> None:
    response = run(runner, "ok")["response"]
    assert response["name"] == "ok"
    assert response["version"] == "$LATEST"
    assert response["arn"] == ARN + "ok"
    assert 0 < response["left"] <= 2000


def test_raising_handler_is_a_validation_error(runner: TriggerRunner) -> None:
    with pytest.raises(
        UserLambdaValidationException, match=r"^PreSignUp failed with error nope\.$"
    ):
        run(runner, "raising")


def test_lambda_handler_name_and_arn_suffixes(runner: TriggerRunner) -> None:
    assert run(runner, "lambda_style")["response"]["style"] == "lambda_handler"
    assert run(runner, "ok", ":live")["response"]["name"] == "ok"
    assert run(runner, "ok", ":7")["response"]["name"] == "ok"
    assert run(runner, "ok", ":$LATEST")["response"]["name"] == "ok"


def test_missing_file_handler_or_bad_arn_are_unexpected(runner: TriggerRunner) -> None:
    for name in ("absent", "no_handler", "../ok"):
        with pytest.raises(UnexpectedLambdaException, match=r"^PreSignUp invocation failed"):
            run(runner, name)


def test_malformed_response(runner: TriggerRunner) -> None:
    with pytest.raises(InvalidLambdaResponseException, match="Unrecognizable lambda output"):
        run(runner, "not_dict")


def test_hang_is_abandoned_and_the_next_call_works(functions: Path) -> None:
    runner = TriggerRunner(Settings(functions_dir=functions))
    try:
        started = time.monotonic()
        with pytest.raises(UnexpectedLambdaException, match="Socket timeout"):
            run(runner, "hang")
        assert time.monotonic() - started < 5.9
        assert run(runner, "ok")["response"]["name"] == "ok"
    finally:
        anyio.run(runner.aclose)


def test_crash_is_unexpected_and_the_next_call_works(runner: TriggerRunner) -> None:
    assert run(runner, "ok")["response"]["name"] == "ok"
    with pytest.raises(UnexpectedLambdaException, match=r"Runtime\.ExitError"):
        run(runner, "crash")
    assert run(runner, "ok")["response"]["name"] == "ok"


def test_edited_file_takes_effect_without_restart(runner: TriggerRunner, functions: Path) -> None:
    write(functions, "edited", "def handler(event, context):\n    event['response']['n'] = 1\n"
          "    return event\n")  # fmt: skip
    assert run(runner, "edited")["response"]["n"] == 1
    write(functions, "edited", "def handler(event, context):\n    event['response']['n'] = 2\n"
          "    return event\n")  # fmt: skip
    assert run(runner, "edited")["response"]["n"] == 2


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/fail":
            status, body = 500, {"errorMessage": "denied"}
        elif self.path == "/slow":
            time.sleep(3)
            status, body = 200, event
        else:
            event["response"]["autoConfirmUser"] = True
            status, body = 200, event
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the slow case: the runner gave up, as it should

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hook_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_webhook_variant(hook_url: str) -> None:
    urls = f"good={hook_url}/ok,bad={hook_url}/fail,slow={hook_url}/slow"
    runner = TriggerRunner(Settings(function_urls=urls), timeout_seconds=1.0)
    try:
        assert run(runner, "good")["response"]["autoConfirmUser"] is True
        with pytest.raises(UserLambdaValidationException, match=r"failed with error denied\."):
            run(runner, "bad")
        with pytest.raises(UnexpectedLambdaException, match="Socket timeout"):
            run(runner, "slow")
        with pytest.raises(UnexpectedLambdaException, match="ResourceNotFoundException"):
            run(runner, "unmapped")
    finally:
        anyio.run(runner.aclose)


def test_webhook_urls_need_https_off_loopback() -> None:
    with pytest.raises(ValueError, match="https required"):
        Settings(function_urls="f=http://example.com/hook")
    assert Settings(function_urls="f=https://example.com/hook").function_urls
