"""The browser tests use the OAuth tests' delivering server (`env`) to read mailed codes."""

from tests.oauth.conftest import env  # noqa: F401  (a fixture, registered by importing it)
