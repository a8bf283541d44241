"""What both function runners share: the function an ARN names, outcomes, the Protocol.

Lambda function ARNs: `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:alias|:version]`; NAME is
1-64 of `[A-Za-z0-9_-]` (Lambda's own rule), which also keeps it a plain file name.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

TIMEOUT_SECONDS = 5.0
# Cognito's reason text when a function does not answer in time.
TIMEOUT_REASON = "Socket timeout while invoking Lambda function"

_ARN = re.compile(
    r"^arn:aws[a-z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):function:"
    r"(?P<name>[A-Za-z0-9_-]{1,64})(?::(?P<qualifier>\$LATEST|[A-Za-z0-9_-]{1,128}))?$"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Function:
    """The function a LambdaConfig ARN names; `name` is safe as a file name (no path parts)."""

    arn: str
    region: str
    name: str
    qualifier: str | None


def parse_function_arn(arn: str) -> Function | None:
    """The function of a Lambda function ARN (optionally with alias or version), else None."""
    match = _ARN.match(arn)
    if match is None:
        return None
    return Function(
        arn=arn, region=match["region"], name=match["name"], qualifier=match["qualifier"]
    )


class OutcomeKind(enum.StrEnum):
    """How one invocation ended."""

    OK = "ok"
    FUNCTION_ERROR = "error"
    MALFORMED = "malformed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The result of one invocation: the returned JSON value, or an error message/reason."""

    kind: OutcomeKind
    value: Any = None
    message: str = ""


class FunctionRunner(Protocol):
    """Runs one function with one event: worker processes or a webhook."""

    async def run(self, function: Function, event: Mapping[str, Any]) -> Outcome:
        """Invoke `function` within TIMEOUT_SECONDS; every failure is an Outcome, never raised."""
        ...

    async def aclose(self) -> None:
        """Release workers or connections."""
        ...
