"""CustomEmailSender / CustomSMSSender: the pool's function delivers the message instead of
Cognate.

Developer guide, "Custom sender Lambda triggers": Cognito invokes the sender asynchronously
(InvocationType Event) with `request.code` encrypted for the pool's LambdaConfig.KMSKeyID, and
sends nothing itself. So here the API call does not wait for the function: the invocation runs
as a background task after the caller's commit, and a failure (an exception, a timeout, a
missing KMSKeyID) is logged, never returned to the caller. CustomMessage is not consulted for
a medium that has a sender.
"""

from __future__ import annotations

import asyncio
import logging

from cognate.context import Context
from cognate.domain.pool import Pool
from cognate.errors import CognitoError
from cognate.triggers import events
from cognate.triggers.code_encryption import encrypt_code, read_master_key
from cognate.triggers.events import MessageTrigger

_log = logging.getLogger(__name__)

# Strong references to in-flight invocations: the event loop keeps only weak ones.
_in_flight: set[asyncio.Task[None]] = set()


def sender_for(pool: Pool, medium: str) -> str | None:
    """The sender trigger (EMAIL_SENDER or SMS_SENDER) that replaces delivery over `medium`
    ("EMAIL" or "SMS") in `pool`, or None when Cognate delivers itself."""
    trigger = events.EMAIL_SENDER if medium == "EMAIL" else events.SMS_SENDER
    return trigger if events.sender_config(pool, trigger) is not None else None


def start_sender(
    ctx: Context, pool: Pool, trigger: str, message: MessageTrigger, *, code: str
) -> None:
    """Invoke the pool's `trigger` for `message` in the background, `code` encrypted.

    Call only after the commit: the function may act on the state the call created.
    """
    task = asyncio.get_running_loop().create_task(_invoke(ctx, pool, trigger, message, code))
    _in_flight.add(task)
    task.add_done_callback(_in_flight.discard)


async def _invoke(
    ctx: Context, pool: Pool, trigger: str, message: MessageTrigger, code: str
) -> None:
    config = events.sender_config(pool, trigger)
    if config is None:
        return
    source = events.sender_source(trigger, message.source)
    if config.kms_key_id is None:
        _log.error("%s not invoked for pool %s: LambdaConfig has no KMSKeyID", source, pool.id)
        return
    try:
        ciphertext = encrypt_code(code, config.kms_key_id, read_master_key(ctx.settings))
        request = events.custom_sender_request(trigger, message, ciphertext)
        await ctx.triggers.invoke(
            trigger,
            config.arn,
            events.event(pool=pool, region=ctx.region, trigger_source=source,
                         username=message.username, client_id=message.client_id,
                         request=request),
        )  # fmt: skip
    except (CognitoError, OSError, ValueError) as exc:
        # Asynchronous in Cognito: the caller has already been answered.
        _log.error("%s failed for pool %s: %s", source, pool.id, exc)
