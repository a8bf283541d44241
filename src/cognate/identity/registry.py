"""The cognito-identity operation registry."""

from __future__ import annotations

from cognate.registry import OperationRegistry

identity = OperationRegistry("cognito-identity")
