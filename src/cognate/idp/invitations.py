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
from cognate.idp.notify import email_bodies, pool_sender
from cognate.messages import templates


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
) -> None:
    """Send the invitation over each medium in `mediums` the user has a destination for.

    Raises CodeDeliveryFailureException (from the delivery layer) if any send fails.
    """
    template = _template(pool)
    email = attributes.get("email")
    if "EMAIL" in mediums and email:
        body = template.get("EmailMessage") or templates.DEFAULT_INVITE_EMAIL
        subject = template.get("EmailSubject") or templates.DEFAULT_INVITE_SUBJECT
        text, html_body = email_bodies(body, code=password, username=sign_in_name)
        await ctx.delivery.send_email(
            to=email, subject=subject, text=text, html=html_body, sender=pool_sender(pool)
        )
    phone = attributes.get("phone_number")
    if "SMS" in mediums and phone:
        message = template.get("SMSMessage") or templates.DEFAULT_INVITE_SMS
        await ctx.delivery.send_sms(
            to=phone, message=templates.render(message, code=password, username=sign_in_name)
        )
