"""Fixtures of the OAuth tests that need real message delivery: the `env` server of the wire
tests (tests/wire/delivery.py), reused, not copied."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.wire.delivery import Env, delivering_server


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    """One server per test session delivering to SMTP and SMS sinks."""
    with delivering_server(tmp_path_factory.mktemp("oauth-delivery")) as running:
        yield running
