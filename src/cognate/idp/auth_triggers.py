"""The triggers around a native sign-in: PreAuthentication as it begins, PostAuthentication
when it succeeds, just before the tokens (whose PreTokenGeneration runs in tokens/issue.py).

Developer guide, "Pre authentication Lambda trigger" and "Post authentication Lambda
trigger"; order per cognito-surface.md §8: UserMigration → PreAuthentication → (password,
custom challenges, MFA) → PostAuthentication → PreTokenGeneration → tokens. A function that
raises denies the sign-in (UserLambdaValidationException "<Trigger> failed with error
<message>."), and then no tokens exist. Each call happens with no transaction open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cognate.auth import flow
from cognate.auth.flow import Challenge, Subject
from cognate.context import Context
from cognate.domain import device as device_rules
from cognate.domain.client import Client
from cognate.domain.pool import Pool
from cognate.domain.user import User
from cognate.idp import device_auth
from cognate.tokens.issue import SignIn, issue_tokens
from cognate.triggers import events

PRE_AUTHENTICATION: Final = "PreAuthentication"
POST_AUTHENTICATION: Final = "PostAuthentication"


def user_attributes(user: User | None) -> dict[str, str]:
    """The `userAttributes` of a sign-in event: Cognito adds `cognito:user_status`; an
    unknown user (PreventUserExistenceErrors ENABLED) has none."""
    if user is None:
        return {}
    return {"cognito:user_status": str(user.status), **user.attributes}


async def pre_authentication(
    ctx: Context,
    pool: Pool,
    client: Client,
    subject: Subject,
    name: str,
    client_metadata: Mapping[str, str],
) -> None:
    """Run PreAuthentication before any credential of `subject` is checked.

    `validationData` is the request's ClientMetadata, the only way InitiateAuth passes
    validation data. A decoy (unknown name, PreventUserExistenceErrors ENABLED) fires it too,
    with `userNotFound` true, so that the trigger's cost does not reveal whether a user exists.
    """
    arn = events.lambda_arn(pool, PRE_AUTHENTICATION)
    if arn is None:
        return
    user = subject.user
    request = events.user_request(user_attributes(user), validation_data=client_metadata)
    if client.prevent_user_existence_errors:
        request["userNotFound"] = user is None
    await ctx.triggers.invoke(
        PRE_AUTHENTICATION,
        arn,
        events.event(pool=pool, region=ctx.region,
                     trigger_source="PreAuthentication_Authentication",
                     username=user.username if user else name, client_id=client.id,
                     request=request),
    )  # fmt: skip


async def post_authentication(
    ctx: Context, attempt: flow.Attempt, *, is_new_device: bool = False
) -> None:
    """Run PostAuthentication for a sign-in whose every step passed; its error fails the call
    although the credentials were right. `newDeviceUsed` is true when the sign-in named no
    device and the pool tracks devices (a new one is issued)."""
    arn = events.lambda_arn(attempt.pool, POST_AUTHENTICATION)
    if arn is None:
        return
    request: dict[str, Any] = events.user_request(
        user_attributes(attempt.user), client_metadata=attempt.client_metadata
    )
    request["newDeviceUsed"] = is_new_device
    await ctx.triggers.invoke(
        POST_AUTHENTICATION,
        arn,
        events.event(pool=attempt.pool, region=ctx.region,
                     trigger_source="PostAuthentication_Authentication",
                     username=attempt.user.username, client_id=attempt.client.id, request=request),
    )  # fmt: skip


async def complete_sign_in(ctx: Context, attempt: flow.Attempt) -> dict[str, Any]:
    """PostAuthentication, then the device, then the tokens: the answer of a finished sign-in.

    A sign-in whose last step was a new password reports TokenGeneration_NewPasswordChallenge
    to PreTokenGeneration, one proven by a remembered device TokenGeneration_AuthenticateDevice,
    as Cognito does. The tokens carry the device's key; a device issued now is answered as
    NewDeviceMetadata (idp/device_auth.py).
    """
    is_new_device = attempt.device is None and device_rules.is_tracking(attempt.pool.config)
    await post_authentication(ctx, attempt, is_new_device=is_new_device)
    last = attempt.completed[-1] if attempt.completed else None
    source = _SOURCES.get(last or "", "TokenGeneration_Authentication")
    device = await device_auth.settle_device(ctx, attempt)
    sign_in = SignIn(
        pool=attempt.pool, client=attempt.client, user=attempt.user, auth_time=ctx.clock(),
        trigger_source=source, device_key=device.device_key,
    )  # fmt: skip
    result = await issue_tokens(ctx, sign_in)
    if device.new_device is not None:
        result["NewDeviceMetadata"] = device.new_device
    return {"AuthenticationResult": result, "ChallengeParameters": {}}


_SOURCES: Final = {
    Challenge.NEW_PASSWORD_REQUIRED.value: "TokenGeneration_NewPasswordChallenge",
    Challenge.DEVICE_PASSWORD_VERIFIER.value: "TokenGeneration_AuthenticateDevice",
}
