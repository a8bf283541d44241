"""`cognate serve` and `cognate outbox` as a user runs them: a real process, signals, exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port


def cognate(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cognate", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_healthy(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            if httpx.get(url + "/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("server never became healthy")


def test_serve_env_twins_and_sigterm(tmp_path: Path) -> None:
    port = free_port()
    # Env twins configure the server; the --data-dir flag wins over COGNATE_DATA_DIR.
    process = cognate(
        "serve",
        "--data-dir",
        str(tmp_path / "flag"),
        env={"COGNATE_PORT": str(port), "COGNATE_DATA_DIR": str(tmp_path / "env")},
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        assert (tmp_path / "flag" / "cognate.db").exists()
        assert not (tmp_path / "env").exists()
        key = tmp_path / "flag" / "master.key"
        assert key.stat().st_mode & 0o777 == 0o600
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output


def test_refuses_public_address_without_credentials(tmp_path: Path) -> None:
    process = cognate(
        "serve", "--host", "0.0.0.0", "--port", str(free_port()), "--data-dir", str(tmp_path)
    )
    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "COGNATE_ADMIN_CREDENTIALS" in output


def test_invalid_setting_stops_with_message(tmp_path: Path) -> None:
    process = cognate("serve", "--data-dir", str(tmp_path), env={"COGNATE_ACCOUNT_ID": "12"})
    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "account_id" in output


def test_outbox_empty(tmp_path: Path) -> None:
    process = cognate("outbox", "--data-dir", str(tmp_path))
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "The outbox is empty." in output
