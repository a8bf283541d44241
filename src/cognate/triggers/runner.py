"""TriggerRunner: runs a pool's Lambda trigger and reports failures as Cognito does.

A LambdaConfig ARN `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:alias|:version]` names a
function. When COGNATE_FUNCTION_URLS maps NAME to a URL the event is POSTed there (a team's
hooks as web services); otherwise `{COGNATE_FUNCTIONS_DIR}/NAME.py` runs in a warm worker
process (processes.py). Either way the call is bounded by Cognito's 5-second limit and never
runs on the event loop or inside a database transaction (callers commit first).

Errors, as the developer guide ("Customizing user pool workflows with Lambda triggers",
section "Handling errors") and observed responses show them:
* the handler raised: UserLambdaValidationException "<Trigger> failed with error <message>.";
* the answer is not an event object: InvalidLambdaResponseException
  "Unrecognizable lambda output";
* timeout, crash, missing file or handler: UnexpectedLambdaException
  "<Trigger> invocation failed due to error <reason>." (Cognito's text for a Lambda timeout
  is "... due to error Socket timeout while invoking Lambda function.").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cognate.errors import (
    InvalidLambdaResponseException,
    UnexpectedLambdaException,
    UserLambdaValidationException,
)
from cognate.settings import Settings
from cognate.triggers.functions import (
    TIMEOUT_SECONDS,
    FunctionRunner,
    Outcome,
    OutcomeKind,
    parse_function_arn,
)
from cognate.triggers.processes import ProcessRunner
from cognate.triggers.webhook import WebhookRunner

UNRECOGNIZABLE_OUTPUT = "Unrecognizable lambda output"


def parse_function_urls(value: str | None) -> dict[str, str]:
    """`NAME=URL,NAME=URL` as a mapping (already validated by Settings)."""
    urls: dict[str, str] = {}
    for pair in (value or "").split(","):
        name, sep, url = pair.strip().partition("=")
        if sep:
            urls[name.strip()] = url.strip()
    return urls


class TriggerRunner:
    """The app's one runner: picks the webhook or the worker pool per function name."""

    def __init__(self, settings: Settings, *, timeout_seconds: float = TIMEOUT_SECONDS) -> None:
        self._urls = parse_function_urls(settings.function_urls)
        self._webhook: FunctionRunner = WebhookRunner(self._urls, timeout_seconds=timeout_seconds)
        self._processes: FunctionRunner | None = (
            ProcessRunner(settings.functions_dir, timeout_seconds=timeout_seconds)
            if settings.functions_dir is not None
            else None
        )

    async def invoke(self, trigger: str, arn: str, event: Mapping[str, Any]) -> dict[str, Any]:
        """Run the trigger `trigger` (its LambdaConfig key, as in error texts) at `arn`.

        Returns the event object the function returned; raises the Cognito error of any
        failure (module docstring).
        """
        function = parse_function_arn(arn)
        if function is None:
            raise UnexpectedLambdaException(
                f"{trigger} invocation failed due to error ResourceNotFoundException."
            )
        runner = self._webhook if function.name in self._urls else self._processes
        if runner is None:
            raise UnexpectedLambdaException(
                f"{trigger} invocation failed due to error ResourceNotFoundException."
            )
        outcome = await runner.run(function, event)
        return returned_event(trigger, outcome)

    async def aclose(self) -> None:
        """Stop the worker processes and close webhook connections."""
        await self._webhook.aclose()
        if self._processes is not None:
            await self._processes.aclose()


def returned_event(trigger: str, outcome: Outcome) -> dict[str, Any]:
    """The returned event of a successful outcome, else the Cognito error (module docstring)."""
    if outcome.kind is OutcomeKind.FUNCTION_ERROR:
        raise UserLambdaValidationException(f"{trigger} failed with error {outcome.message}.")
    if outcome.kind is OutcomeKind.FAILED:
        raise UnexpectedLambdaException(
            f"{trigger} invocation failed due to error {outcome.message}."
        )
    if outcome.kind is OutcomeKind.MALFORMED or not isinstance(outcome.value, dict):
        raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
    if not isinstance(outcome.value.get("response", {}), dict):
        raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
    return outcome.value
