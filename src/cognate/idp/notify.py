"""Sending a templated message to a user: verification codes, confirmation links, invitations.

Cognito developer guide, "Customizing email verification messages": a code message uses the
pool's VerificationMessageTemplate (EmailMessage, EmailSubject, SmsMessage) with `{####}` and
`{username}`; with DefaultEmailOption CONFIRM_WITH_LINK the sign-up email uses
EmailMessageByLink and EmailSubjectByLink, whose `{##Verify Email##}` becomes a link labelled
with the text between the `##`. The same template serves forgot-password and attribute-
verification codes (the link is for sign-up confirmation only). HTML bodies go out as HTML with
a text alternative; the sender is the pool's EmailConfiguration.From, else the server default.

Sending never happens inside a database transaction: callers store the code, commit, then send.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from cognate.context import Context
from cognate.domain.codes import Destination
from cognate.domain.pool import Pool
from cognate.idp import shapes
from cognate.messages import templates
from cognate.triggers import events, senders
from cognate.triggers.events import CustomTexts, MessageTrigger

CUSTOM_MESSAGE = "CustomMessage"

DEFAULT_EMAIL_BY_LINK = (
    "Please click the link below to verify your email address. {##Verify Email##} "
)
DEFAULT_SUBJECT_BY_LINK = "Your verification link"

_LINK_PLACEHOLDER = re.compile(r"\{##(.*?)##\}")


def pool_sender(pool: Pool) -> str | None:
    """The From address of the pool's EmailConfiguration, or None for the server default."""
    configuration: Mapping[str, Any] = pool.config.get("EmailConfiguration") or {}
    sender = configuration.get("From")
    return str(sender) if sender else None


def email_bodies(body: str, *, code: str, username: str) -> tuple[str, str | None]:
    """The text and, for an HTML template, the HTML body with the placeholders filled.

    Values are escaped in the HTML part: a temporary password may contain `&` or `<`.
    """
    if not templates.looks_like_html(body):
        return templates.render(body, code=code, username=username), None
    rendered = templates.render(body, code=html.escape(code), username=html.escape(username))
    return templates.html_to_text(rendered), rendered


def link_bodies(body: str, *, link: str, username: str) -> tuple[str, str]:
    """The text and HTML bodies of a confirmation-link email.

    The HTML part turns `{##label##}` into an anchor; the text part spells the URL out, since
    a text reader has no anchor to click.
    """
    escaped_link = html.escape(link, quote=True)
    as_html = templates.render(body, username=html.escape(username))
    if not templates.looks_like_html(as_html):
        as_html = html.escape(as_html)
    as_html = _LINK_PLACEHOLDER.sub(
        lambda match: f'<a href="{escaped_link}">{html.escape(match.group(1))}</a>', as_html
    )
    as_text = templates.render(body, username=username)
    if templates.looks_like_html(as_text):
        as_text = templates.html_to_text(as_text)
    as_text = _LINK_PLACEHOLDER.sub(lambda match: f"{match.group(1)}: {link}", as_text)
    return as_text, as_html


def delivery_details(destination: Destination) -> shapes.CodeDeliveryDetailsType:
    """The wire CodeDeliveryDetails of `destination`, the address masked as Cognito masks it."""
    is_email = destination.attribute == "email"
    masked = (
        templates.mask_email(destination.address)
        if is_email
        else templates.mask_phone(destination.address)
    )
    return {
        "Destination": masked,
        "DeliveryMedium": destination.medium,
        "AttributeName": destination.attribute,
    }


def _verification_template(pool: Pool) -> Mapping[str, Any]:
    template: Mapping[str, Any] = pool.config.get("VerificationMessageTemplate") or {}
    return template


async def send_code(
    ctx: Context,
    pool: Pool,
    destination: Destination,
    *,
    code: str,
    username: str,
    link: str | None = None,
    trigger: MessageTrigger | None = None,
) -> None:
    """Send `code` to `destination` with the pool's verification template.

    With `link` and DefaultEmailOption CONFIRM_WITH_LINK, an email carries the link instead.
    With `trigger`, the pool's CustomMessage function may replace the code texts (developer
    guide, "Custom message Lambda trigger"), and when the pool has a CustomEmailSender or
    CustomSMSSender for the medium, that function gets the code instead and Cognate sends
    nothing (triggers/senders.py). Raises CodeDeliveryFailureException (from the delivery
    layer) if the send fails.
    """
    sender = senders.sender_for(pool, destination.medium) if trigger is not None else None
    if trigger is not None and sender is not None:
        senders.start_sender(ctx, pool, sender, trigger, code=code)
        return
    template = _verification_template(pool)
    by_link = (
        link is not None
        and destination.medium == "EMAIL"
        and template.get("DefaultEmailOption") == "CONFIRM_WITH_LINK"
    )
    texts = await custom_texts(ctx, pool, trigger, by_link=by_link)
    if destination.medium == "SMS":
        message = (
            texts.sms_message
            or template.get("SmsMessage")
            or templates.DEFAULT_SMS_VERIFICATION_MESSAGE
        )
        await ctx.delivery.send_sms(
            to=destination.address,
            message=templates.render(message, code=code, username=username),
        )
        return
    if link is not None and by_link:
        body = texts.email_message or template.get("EmailMessageByLink") or DEFAULT_EMAIL_BY_LINK
        subject = (
            texts.email_subject or template.get("EmailSubjectByLink") or DEFAULT_SUBJECT_BY_LINK
        )
        text, html_body = link_bodies(body, link=link, username=username)
        await ctx.delivery.send_email(
            to=destination.address,
            subject=subject,
            text=text,
            html=html_body,
            sender=pool_sender(pool),
        )
        return
    body = (
        texts.email_message
        or template.get("EmailMessage")
        or templates.DEFAULT_EMAIL_VERIFICATION_MESSAGE
    )
    subject = (
        texts.email_subject
        or template.get("EmailSubject")
        or templates.DEFAULT_EMAIL_VERIFICATION_SUBJECT
    )
    text, maybe_html = email_bodies(body, code=code, username=username)
    await ctx.delivery.send_email(
        to=destination.address,
        subject=subject,
        text=text,
        html=maybe_html,
        sender=pool_sender(pool),
    )


async def custom_texts(
    ctx: Context,
    pool: Pool,
    trigger: MessageTrigger | None,
    *,
    has_username: bool = False,
    by_link: bool = False,
) -> CustomTexts:
    """The texts the pool's CustomMessage function chose for `trigger`'s message, if any.

    InvalidLambdaResponseException when a returned text lost the code placeholder (the link
    placeholder for a confirmation-link email, `by_link`).
    """
    arn = events.lambda_arn(pool, CUSTOM_MESSAGE)
    if trigger is None or arn is None:
        return CustomTexts()
    request = events.custom_message_request(trigger, has_username=has_username)
    returned = await ctx.triggers.invoke(
        CUSTOM_MESSAGE,
        arn,
        events.event(pool=pool, region=ctx.region, trigger_source=trigger.source,
                     username=trigger.username, client_id=trigger.client_id, request=request),
    )  # fmt: skip
    return events.custom_texts(returned, needs_username=has_username, by_link=by_link)
