"""Fixtures of the wire tests that need real message delivery."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wire.delivery import Env, delivering_server


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One server per test session delivering to SMTP and SMS sinks (tests use unique
    addresses, so they never read each other's messages)."""
    with delivering_server(tmp_path_factory.mktemp("delivery")) as running:
        yield running
