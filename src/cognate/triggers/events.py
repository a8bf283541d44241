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
LINK_PARAMETER = "{##Click Here##}"
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
    request["linkParameter"] = LINK_PARAMETER
    request["usernameParameter"] = USERNAME_PARAMETER if has_username else None
    return request


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomTexts:
    """Texts a CustomMessage function chose; None keeps the pool's template."""

    sms_message: str | None = None
    email_message: str | None = None
    email_subject: str | None = None


def custom_texts(
    returned: Mapping[str, Any], *, needs_username: bool, by_link: bool = False
) -> CustomTexts:
    """The texts of a returned CustomMessage event.

    A message must keep the code placeholder (and, for an invitation, the username one):
    otherwise the user could never learn the code. A confirmation-link email (`by_link`)
    must keep a `{##label##}` link placeholder instead. InvalidLambdaResponseException if not.
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
        if by_link and message is texts.email_message:
            has_secret = "{##" in message and "##}" in message
        else:
            has_secret = CODE_PARAMETER in message
        if not has_secret or (needs_username and USERNAME_PARAMETER not in message):
            raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
    return texts


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    """What a UserMigration function returned for a user it knows ("Migrate user Lambda
    trigger"): the attributes to create the user with and how to finish.

    `final_status` is CONFIRMED or RESET_REQUIRED; `message_action` SUPPRESS or RESEND (None:
    Cognito's default, a welcome message) over `delivery_mediums` (none given: SMS);
    `enable_sms_mfa` turns SMS MFA on for the new user.
    """

    attributes: Mapping[str, str]
    final_status: str | None = None
    message_action: str | None = None
    delivery_mediums: Sequence[str] = ()
    force_alias_creation: bool = False
    enable_sms_mfa: bool = False

    @property
    def sends_welcome(self) -> bool:
        """Whether Cognito sends the welcome message: unless `messageAction` is SUPPRESS."""
        return self.message_action != "SUPPRESS"

    @property
    def welcome_mediums(self) -> Sequence[str]:
        """The media of the welcome message; SMS when the function named none (Cognito)."""
        return self.delivery_mediums or ("SMS",)


_FINAL_STATUSES = frozenset({"CONFIRMED", "RESET_REQUIRED"})
_MESSAGE_ACTIONS = frozenset({"SUPPRESS", "RESEND"})
_MEDIUMS = frozenset({"SMS", "EMAIL"})


def migration(returned: Mapping[str, Any]) -> Migration | None:
    """The migration a returned UserMigration event asks for; None when the function set no
    `userAttributes` (the user is unknown to the legacy system too).

    InvalidLambdaResponseException for fields of the wrong type or value.
    """
    response = _response(returned)
    attributes = _optional(response, "userAttributes", Mapping)
    if not attributes:
        return None
    final_status = _optional(response, "finalUserStatus", str)
    message_action = _optional(response, "messageAction", str)
    mediums = _optional(response, "desiredDeliveryMediums", list) or []
    if (
        final_status not in (None, *_FINAL_STATUSES)
        or message_action not in (None, *_MESSAGE_ACTIONS)
        or not all(isinstance(medium, str) and medium in _MEDIUMS for medium in mediums)
    ):
        raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
    return Migration(
        attributes={str(name): str(value) for name, value in attributes.items()},
        final_status=final_status,
        message_action=message_action,
        delivery_mediums=tuple(str(medium) for medium in mediums),
        force_alias_creation=bool(_optional(response, "forceAliasCreation", bool)),
        enable_sms_mfa=bool(_optional(response, "enableSMSMFA", bool)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeDecision:
    """A DefineAuthChallenge answer ("Define auth challenge Lambda trigger")."""

    challenge_name: str | None = None
    issue_tokens: bool = False
    fail_authentication: bool = False


def challenge_decision(returned: Mapping[str, Any]) -> ChallengeDecision:
    """The decision in a returned DefineAuthChallenge event.

    A decision that neither issues tokens, fails, nor names a challenge leaves the sign-in
    nowhere to go: InvalidLambdaResponseException, as for a wrongly typed field.
    """
    response = _response(returned)
    decision = ChallengeDecision(
        challenge_name=_optional(response, "challengeName", str) or None,
        issue_tokens=bool(_optional(response, "issueTokens", bool)),
        fail_authentication=bool(_optional(response, "failAuthentication", bool)),
    )
    if not (decision.issue_tokens or decision.fail_authentication or decision.challenge_name):
        raise InvalidLambdaResponseException(UNRECOGNIZABLE_OUTPUT)
    return decision


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedChallenge:
    """A CreateAuthChallenge answer ("Create auth challenge Lambda trigger"): public
    parameters go to the client, private ones stay sealed in the Session for Verify."""

    public: Mapping[str, str]
    private: Mapping[str, str]
    metadata: str | None = None


def created_challenge(returned: Mapping[str, Any]) -> CreatedChallenge:
    """The challenge in a returned CreateAuthChallenge event; values become strings, as
    ChallengeParameters are a string map on the wire."""
    response = _response(returned)
    public = _optional(response, "publicChallengeParameters", Mapping) or {}
    private = _optional(response, "privateChallengeParameters", Mapping) or {}
    return CreatedChallenge(
        public={str(name): str(value) for name, value in public.items()},
        private={str(name): str(value) for name, value in private.items()},
        metadata=_optional(response, "challengeMetadata", str) or None,
    )


def answer_correct(returned: Mapping[str, Any]) -> bool:
    """`answerCorrect` of a returned VerifyAuthChallengeResponse event (absent: False)."""
    return bool(_optional(_response(returned), "answerCorrect", bool))


@dataclass(frozen=True, slots=True, kw_only=True)
class SenderConfig:
    """A pool's CustomEmailSender or CustomSMSSender (`{LambdaVersion, LambdaArn}`) with the
    LambdaConfig.KMSKeyID its codes are encrypted for."""

    arn: str
    kms_key_id: str | None


EMAIL_SENDER = "CustomEmailSender"
SMS_SENDER = "CustomSMSSender"
_SENDER_REQUEST_TYPE = {
    EMAIL_SENDER: "customEmailSenderRequestV1",
    SMS_SENDER: "customSMSSenderRequestV1",
}


def sender_config(pool: Pool, trigger: str) -> SenderConfig | None:
    """The pool's `trigger` (EMAIL_SENDER or SMS_SENDER) configuration, or None."""
    config: Mapping[str, Any] = pool.config.get("LambdaConfig") or {}
    sender = config.get(trigger)
    if not isinstance(sender, Mapping) or not sender.get("LambdaArn"):
        return None
    kms_key_id = config.get("KMSKeyID")
    return SenderConfig(arn=str(sender["LambdaArn"]), kms_key_id=str(kms_key_id or "") or None)


def sender_source(trigger: str, message_source: str) -> str:
    """The sender's triggerSource for a CustomMessage source: CustomMessage_SignUp becomes
    CustomEmailSender_SignUp (or CustomSMSSender_SignUp); the suffixes are the same."""
    return f"{trigger}_{message_source.removeprefix('CustomMessage_')}"


def custom_sender_request(trigger: str, message: MessageTrigger, code: str) -> dict[str, Any]:
    """The `request` of a custom sender event; `code` is already encrypted (base64).

    Developer guide, "Custom email sender Lambda trigger": type, code, clientMetadata and
    userAttributes.
    """
    request = user_request(message.attributes, client_metadata=message.client_metadata or {})
    request["type"] = _SENDER_REQUEST_TYPE[trigger]
    request["code"] = code
    return request
