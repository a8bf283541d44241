"""Shared fixtures: a real Cognate server on a free port, and boto3 clients talking to it.

The store is SQLite by default; with COGNATE_TEST_DATABASE_URL set (postgresql://…), every
server of the run uses a fresh database created on that PostgreSQL server and dropped after.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import uvicorn
from botocore.config import Config

from cognate.app import create_app
from cognate.clock import Clock, utc_now
from cognate.settings import Settings
from tests.databases import temporary_database

REGION = "us-east-1"


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    """A Cognate server running in a thread of the test process."""

    url: str
    settings: Settings
    data_dir: Path


class ServerThread:
    """Runs uvicorn for one app in a daemon thread until stopped."""

    def __init__(self, settings: Settings, clock: Clock = utc_now) -> None:
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

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Cognate test server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def start_server(
    data_dir: Path, *, clock: Clock = utc_now, **overrides: Any
) -> tuple[ServerThread, RunningServer]:
    """Start a server with `overrides` (and `clock`, for a time machine) on a free port; the
    caller stops it."""
    port = free_port()
    settings = Settings(host="127.0.0.1", port=port, data_dir=data_dir, **overrides)
    thread = ServerThread(settings, clock)
    thread.start()
    return thread, RunningServer(
        url=f"http://127.0.0.1:{port}", settings=settings, data_dir=data_dir
    )


@pytest.fixture(scope="session")
def database_url() -> Iterator[str | None]:
    """The PostgreSQL URL of this test session's database, or None for SQLite."""
    base = os.environ.get("COGNATE_TEST_DATABASE_URL")
    if not base:
        yield None
        return
    with temporary_database(base) as url:
        yield url


@pytest.fixture(scope="session")
def server(
    tmp_path_factory: pytest.TempPathFactory, database_url: str | None
) -> Iterator[RunningServer]:
    """One real server for the whole session."""
    data_dir = tmp_path_factory.mktemp("cognate")
    thread, running = start_server(data_dir, database_url=database_url)
    yield running
    thread.stop()


def make_client(url: str, service: str = "cognito-idp", **kwargs: Any) -> Any:
    """A boto3 client for `service` at `url`, signing with the development credentials."""
    options: dict[str, Any] = {
        "endpoint_url": url,
        "region_name": REGION,
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
        "config": Config(retries={"max_attempts": 1}),
    }
    options.update(kwargs)
    return boto3.client(service, **options)


@pytest.fixture(scope="session")
def idp_client(server: RunningServer) -> Any:
    """boto3 cognito-idp client for the session server."""
    return make_client(server.url)


@pytest.fixture
def pool(idp_client: Any) -> dict[str, Any]:
    """A fresh user pool with default settings (its UserPoolType)."""
    name = f"pool-{uuid.uuid4().hex[:8]}"
    result: dict[str, Any] = idp_client.create_user_pool(PoolName=name)["UserPool"]
    return result


@pytest.fixture
def pool_id(pool: dict[str, Any]) -> str:
    """The id of the fresh pool."""
    return str(pool["Id"])
