"""The AdminCreateUser invitation: the pool's InviteMessageTemplate (or Cognito's defaults)
filled with the sign-in name and temporary password, sent to each desired medium.

Cognito developer guide, "Customizing user invitation messages": `{username}` and `{####}`
(the temporary password) are the placeholders; an HTML email body is sent as HTML with a text
alternative. A medium whose destination attribute the user lacks is skipped, as Cognito skips
it: DesiredDeliveryMediums defaults to SMS, so a user with only an email gets no message
unless EMAIL is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cognate.context import Context
from cognate.domain.pool import Pool
from cognate.idp.notify import custom_texts, email_bodies, pool_sender
from cognate.messages import templates
from cognate.triggers import senders
from cognate.triggers.events import MessageTrigger

SOURCE = "CustomMessage_AdminCreateUser"


def _template(pool: Pool) -> Mapping[str, Any]:
    config: Mapping[str, Any] = pool.config.get("AdminCreateUserConfig") or {}
    return config.get("InviteMessageTemplate") or {}


async def send_invitation(
    ctx: Context,
    pool: Pool,
    *,
    sign_in_name: str,
    password: str,
    attributes: Mapping[str, str],
    mediums: Sequence[str],
    client_metadata: Mapping[str, str] | None = None,
) -> None:
    """Send the invitation over each medium in `mediums` the user has a destination for.

    The pool's CustomMessage function may replace the texts (CustomMessage_AdminCreateUser:
    they must keep both `{####}` and `{username}`, else InvalidLambdaResponseException and
    nothing is sent); a CustomEmailSender or CustomSMSSender gets the temporary password
    instead of the medium being delivered. Raises CodeDeliveryFailureException (from the
    delivery layer) if any send fails.
    """
    outgoing = {
        medium: address
        for medium, address in (("EMAIL", attributes.get("email")),
                                ("SMS", attributes.get("phone_number")))
        if medium in mediums and address
    }  # fmt: skip
    if not outgoing:
        return
    trigger = MessageTrigger(
        source=SOURCE,
        username=sign_in_name,
        attributes=attributes,
        client_metadata=client_metadata,
    )
    by_sender = {medium: senders.sender_for(pool, medium) for medium in outgoing}
    delivered = {medium: outgoing[medium] for medium, sender in by_sender.items() if not sender}
    # Asked before any sender starts: a rejected response must leave nothing sent.
    texts = await custom_texts(ctx, pool, trigger, has_username=True) if delivered else None
    for sender in by_sender.values():
        if sender is not None:
            senders.start_sender(ctx, pool, sender, trigger, code=password)
    if texts is None:
        return
    template = _template(pool)
    if "EMAIL" in delivered:
        body = texts.email_message or template.get("EmailMessage") or templates.DEFAULT_INVITE_EMAIL
        subject = (
            texts.email_subject or template.get("EmailSubject") or templates.DEFAULT_INVITE_SUBJECT
        )
        text, html_body = email_bodies(body, code=password, username=sign_in_name)
        await ctx.delivery.send_email(
            to=delivered["EMAIL"],
            subject=subject,
            text=text,
            html=html_body,
            sender=pool_sender(pool),
        )
    if "SMS" in delivered:
        message = texts.sms_message or template.get("SMSMessage") or templates.DEFAULT_INVITE_SMS
        await ctx.delivery.send_sms(
            to=delivered["SMS"],
            message=templates.render(message, code=password, username=sign_in_name),
        )
