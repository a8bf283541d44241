"""The pool triggers the self-service and admin operations fire, outside the sign-in engine.

Each function runs the pool's configured function (if any) after the caller's transaction
has committed or before it opens, never inside one (DESIGN §7), and returns only what the
trigger may change. Developer guide: "Pre sign-up Lambda trigger", "Post confirmation Lambda
trigger".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cognate.context import Context
from cognate.domain.pool import Pool
from cognate.idp.user_lookup import find_user
from cognate.triggers import events

PRE_SIGN_UP = "PreSignUp"
POST_CONFIRMATION = "PostConfirmation"


async def pre_sign_up(
    ctx: Context,
    pool: Pool,
    *,
    source: str,
    username: str,
    client_id: str | None,
    attributes: Mapping[str, str],
    validation_data: Sequence[Mapping[str, object]] | None = None,
    client_metadata: Mapping[str, str] | None = None,
) -> events.PreSignUpDecision:
    """Run PreSignUp (`source` PreSignUp_SignUp or _AdminCreateUser) for a user not yet stored.

    A raising function blocks the sign-up (UserLambdaValidationException); without a
    configured function nothing changes.
    """
    arn = events.lambda_arn(pool, PRE_SIGN_UP)
    if arn is None:
        return events.PreSignUpDecision()
    request = events.user_request(
        attributes,
        client_metadata=client_metadata or {},
        validation_data=events.name_value_map(validation_data),
    )
    returned = await ctx.triggers.invoke(
        PRE_SIGN_UP,
        arn,
        events.event(pool=pool, region=ctx.region, trigger_source=source, username=username,
                     client_id=client_id, request=request),
    )  # fmt: skip
    return events.pre_sign_up_decision(returned)


async def post_confirmation(
    ctx: Context,
    pool: Pool,
    *,
    source: str,
    username: str,
    client_id: str | None,
    client_metadata: Mapping[str, str] | None = None,
) -> None:
    """Run PostConfirmation for a user whose confirmation (or new password) is committed.

    Its error reaches the caller, as in Cognito, while the confirmation stays done.
    """
    arn = events.lambda_arn(pool, POST_CONFIRMATION)
    if arn is None:
        return
    async with ctx.store.read() as conn:
        user = await find_user(conn, pool, username)
    if user is None:
        return
    attributes = {"cognito:user_status": str(user.status), **user.attributes}
    request = events.user_request(attributes, client_metadata=client_metadata or {})
    await ctx.triggers.invoke(
        POST_CONFIRMATION,
        arn,
        events.event(pool=pool, region=ctx.region, trigger_source=source,
                     username=user.username, client_id=client_id, request=request),
    )  # fmt: skip
