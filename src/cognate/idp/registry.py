"""The cognito-idp operation registry; handlers register with `@idp.operation("Name")`."""

from __future__ import annotations

from cognate.registry import OperationRegistry

idp = OperationRegistry("cognito-idp")
