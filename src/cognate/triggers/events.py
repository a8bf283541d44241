"""Cognito-shaped trigger events, and the checks on what a function returns. Pure: no I/O.

Developer guide, "Customizing user pool workflows with Lambda triggers" (common parameters):
every event has `version`, `triggerSource`, `region`, `userPoolId`, `userName`,
`callerContext {awsSdkVersion, clientId}`, `request` and `response`; the function returns the
whole event with changes only in `response`. Per-trigger pages: "Pre sign-up Lambda trigger",
"Post confirmation Lambda trigger", "Custom message Lambda trigger".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cognate.domain.pool import Pool
from cognate.errors import InvalidLambdaResponseException

# What Cognito sends when it did not learn the caller's SDK.
SDK_VERSION = "aws-sdk-unknown-unknown"
# callerContext.clientId of an administrative call, which has no app client.
NO_CLIENT = "CLIENT_ID_NOT_APPLICABLE"
CODE_PARAMETER = "{####}"
USERNAME_PARAMETER = "{username}"
UNRECOGNIZABLE_OUTPUT = "Unrecognizable lambda output"


def lambda_arn(pool: Pool, trigger: str) -> str | None:
    """The function ARN configured for `trigger` (a LambdaConfig key), or None."""
    config: Mapping[str, Any] = pool.config.get("LambdaConfig") or {}
    arn = config.get(trigger)
    return str(arn) if arn else None


def name_value_map(pairs: Sequence[Mapping[str, object]] | None) -> dict[str, str]:
    """`[{Name, Value}]` (ValidationData, UserAttributes on the wire) as the event's map."""
    return {str(pair["Name"]): str(pair.get("Value", "")) for pair in pairs or []}


def event(
    *,
    pool: Pool,
    region: str,
    trigger_source: str,
    username: str,
    client_id: str | None,
    request: Mapping[str, Any],
    version: str = "1",
) -> dict[str, Any]:
    """A trigger event with the common fields and an empty `response`."""
    return {
        "version": version,
        "triggerSource": trigger_source,
        "region": region,
        "userPoolId": pool.id,
        "userName": username,
        "callerContext": {"awsSdkVersion": SDK_VERSION, "clientId": client_id or NO_CLIENT},
        "request": dict(request),
        "response": {},
    }


def user_request(
    attributes: Mapping[str, str],
    *,
    client_metadata: Mapping[str, str] | None = None,
    validation_data: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A `request` with userAttributes and, when given, clientMetadata and validationData."""
    request: dict[str, Any] = {"userAttributes": dict(attributes)}
    if validation_data is not None:
        request["validationData"] = dict(validation_data)
    if client_metadata is not None:
        request["clientMetadata"] = dict(client_metadata)
    return request


def _response(returned: Mapping[str, Any]) -> Mapping[str, Any]:
    response = returned.get("response")
    if response is None:
        return {}
    if not isinstance(response, Mapping):
        raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
    return response


def _optional(response: Mapping[str, Any], name: str, kind: type) -> Any:
    value = response.get(name)
    if value is not None and not isinstance(value, kind):
        raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class PreSignUpDecision:
    """What a PreSignUp function decided: confirm the user, mark attributes verified."""

    auto_confirm: bool = False
    auto_verify_email: bool = False
    auto_verify_phone: bool = False

    def verified_flags(self, attributes: Mapping[str, str]) -> dict[str, str]:
        """The `*_verified` attributes to set; a flag needs its attribute present (Cognito)."""
        flags: dict[str, str] = {}
        if self.auto_verify_email and attributes.get("email"):
            flags["email_verified"] = "true"
        if self.auto_verify_phone and attributes.get("phone_number"):
            flags["phone_number_verified"] = "true"
        return flags


def pre_sign_up_decision(returned: Mapping[str, Any]) -> PreSignUpDecision:
    """The decision in a returned PreSignUp event; InvalidLambdaResponseException if the
    response fields are not booleans."""
    response = _response(returned)
    return PreSignUpDecision(
        auto_confirm=bool(_optional(response, "autoConfirmUser", bool)),
        auto_verify_email=bool(_optional(response, "autoVerifyEmail", bool)),
        auto_verify_phone=bool(_optional(response, "autoVerifyPhone", bool)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageTrigger:
    """Who a message is for and why: what a CustomMessage event needs beyond the code."""

    source: str
    username: str
    attributes: Mapping[str, str]
    client_id: str | None = None
    client_metadata: Mapping[str, str] | None = None


def custom_message_request(trigger: MessageTrigger, *, has_username: bool) -> dict[str, Any]:
    """The `request` of a CustomMessage event (`usernameParameter` for invitations only)."""
    request = user_request(trigger.attributes, client_metadata=trigger.client_metadata)
    request["codeParameter"] = CODE_PARAMETER
    request["linkParameter"] = "{##Click Here##}"
    request["usernameParameter"] = USERNAME_PARAMETER if has_username else None
    return request


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomTexts:
    """Texts a CustomMessage function chose; None keeps the pool's template."""

    sms_message: str | None = None
    email_message: str | None = None
    email_subject: str | None = None


def custom_texts(returned: Mapping[str, Any], *, needs_username: bool) -> CustomTexts:
    """The texts of a returned CustomMessage event.

    A message must keep the code placeholder (and, for an invitation, the username one):
    otherwise the user could never learn the code. InvalidLambdaResponseException if not.
    """
    response = _response(returned)
    texts = CustomTexts(
        sms_message=_optional(response, "smsMessage", str) or None,
        email_message=_optional(response, "emailMessage", str) or None,
        email_subject=_optional(response, "emailSubject", str) or None,
    )
    for message in (texts.sms_message, texts.email_message):
        if message is None:
            continue
        if CODE_PARAMETER not in message or (needs_username and USERNAME_PARAMETER not in message):
            raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
    return texts
