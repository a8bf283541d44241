"""The sign-in state machine: which flows an operation takes, what a sign-in must prove, which
challenge comes next. The diagram is `flow.md` beside this file; change both together.

Sources: cognito-surface.md §2b (flows, where each is accepted, challenge parameters) and §9
(SRP), the InitiateAuth / RespondToAuthChallenge API references, and security-test-plan.md A
(no user enumeration) and B (lockout). Everything here is pure and sync; idp/auth.py does the
I/O and runs the functions marked CPU-heavy in the CPU pool (cognate/cpu.py).

Unknown users under PreventUserExistenceErrors=ENABLED get a *decoy*: a USER_ID_FOR_SRP, salt
and verifier derived from a keyed hash of pool and name, so repeated attempts see the same
values, and every check does the same modular exponentiations as for a real user, failing only
where a wrong password would.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from cognate.auth import passwords, srp
from cognate.auth.sessions import AuthSession
from cognate.domain import mfa
from cognate.domain.attributes import (
    check_attributes,
    check_required,
    is_email,
    is_phone_number,
    updated_attributes,
)
from cognate.domain.client import Client
from cognate.domain.device import Device
from cognate.domain.pool import Pool
from cognate.domain.user import User, UserStatus, username_key
from cognate.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    PasswordResetRequiredException,
    UserNotConfirmedException,
    UserNotFoundException,
)
from cognate.secretbox import SecretBox

INCORRECT: Final = "Incorrect username or password."
"""Cognito's message for a wrong password, and (ENABLED) for an unknown user."""

TIMESTAMP_SKEW: Final = timedelta(minutes=5)
"""How far a PASSWORD_VERIFIER TIMESTAMP may be from the server clock (Cognito is strict)."""

_DECOY_ID = "sign-in-decoy-id"
_DECOY_VERIFIER = "sign-in-decoy-verifier"
_FAILURE_SUBJECT = "sign-in-failure-subject"
_ATTRIBUTE_PREFIX = "userAttributes."

FIRST_FACTOR_CODE: Final = "FIRST_FACTOR_CODE"
"""A step marker: USER_AUTH's first factor was a one-time code (EMAIL_OTP / SMS_OTP). The code
is the proof of identity, so no MFA step follows it."""


class AuthFlow(enum.StrEnum):
    """AuthFlowType values; the wire strings."""

    USER_SRP_AUTH = "USER_SRP_AUTH"
    USER_PASSWORD_AUTH = "USER_PASSWORD_AUTH"  # noqa: S105 (a flow name, not a secret)
    ADMIN_USER_PASSWORD_AUTH = "ADMIN_USER_PASSWORD_AUTH"  # noqa: S105
    ADMIN_NO_SRP_AUTH = "ADMIN_NO_SRP_AUTH"
    REFRESH_TOKEN_AUTH = "REFRESH_TOKEN_AUTH"  # noqa: S105
    REFRESH_TOKEN = "REFRESH_TOKEN"  # noqa: S105
    CUSTOM_AUTH = "CUSTOM_AUTH"
    USER_AUTH = "USER_AUTH"


class Challenge(enum.StrEnum):
    """The ChallengeNameType values this engine issues."""

    PASSWORD_VERIFIER = "PASSWORD_VERIFIER"  # noqa: S105 (a challenge name, not a secret)
    NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"  # noqa: S105
    SMS_MFA = "SMS_MFA"
    SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"  # noqa: S105
    EMAIL_OTP = "EMAIL_OTP"
    SMS_OTP = "SMS_OTP"
    SELECT_CHALLENGE = "SELECT_CHALLENGE"
    SELECT_MFA_TYPE = "SELECT_MFA_TYPE"
    MFA_SETUP = "MFA_SETUP"
    CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
    DEVICE_SRP_AUTH = "DEVICE_SRP_AUTH"
    DEVICE_PASSWORD_VERIFIER = "DEVICE_PASSWORD_VERIFIER"  # noqa: S105
    WEB_AUTHN = "WEB_AUTHN"


REFRESH_FLOWS: Final = frozenset({AuthFlow.REFRESH_TOKEN_AUTH, AuthFlow.REFRESH_TOKEN})
"""The two spellings of refresh; both take REFRESH_TOKEN."""

_PUBLIC_ONLY = frozenset({AuthFlow.USER_PASSWORD_AUTH})
_ADMIN_ONLY = frozenset({AuthFlow.ADMIN_USER_PASSWORD_AUTH, AuthFlow.ADMIN_NO_SRP_AUTH})


def check_auth_flow(
    auth_flow: str, client: Client, *, is_admin: bool, has_custom_auth: bool = False
) -> AuthFlow:
    """The flow `auth_flow` if the operation (admin or public) and the client accept it.

    cognito-surface.md §2b: USER_PASSWORD_AUTH is for InitiateAuth only, the ADMIN_* flows for
    AdminInitiateAuth only ("Initiate Auth method not supported."); a flow must be allowed by
    the client's ExplicitAuthFlows ("<flow> flow not enabled for this client"). CUSTOM_AUTH
    needs the pool's DefineAuthChallenge trigger (`has_custom_auth`). USER_AUTH (choice-based,
    idp/user_auth.py) needs ALLOW_USER_AUTH like any other flow.
    """
    try:
        flow = AuthFlow(auth_flow)
    except ValueError:
        raise InvalidParameterException(f"Invalid AuthFlow: {auth_flow}") from None
    if flow in (_PUBLIC_ONLY if is_admin else _ADMIN_ONLY):
        raise InvalidParameterException("Initiate Auth method not supported.")
    if not client.allows_auth_flow(flow):
        raise InvalidParameterException(f"{flow} flow not enabled for this client")
    if flow is AuthFlow.CUSTOM_AUTH and not has_custom_auth:
        raise InvalidParameterException(
            "Custom auth lambda trigger is not configured for the user pool."
        )
    return flow


def required(parameters: Mapping[str, str] | None, name: str) -> str:
    """The AuthParameters / ChallengeResponses entry `name`; Cognito's error if it is missing."""
    value = (parameters or {}).get(name)
    if not value:
        raise InvalidParameterException(f"Missing required parameter {name}")
    return value


def parse_srp_a(text: str) -> int:
    """The client's SRP_A as an integer; NotAuthorizedException if it is unusable (A % N == 0).

    Checked before the user is looked up, so the answer says nothing about the user.
    """
    big_a = srp.parse_hex(text)
    if big_a is None:
        raise InvalidParameterException("SRP_A must be a hexadecimal number.")
    if not srp.check_a(big_a):
        raise NotAuthorizedException(INCORRECT)
    return big_a


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """Who a sign-in attempt is about: a user, or (ENABLED) the decoy of an unknown name.

    `user_id_for_srp` is the internal username (or the decoy's id); `lockout_key` names the
    failure counter: the user's id, so every name and alias of a user shares one counter, or a
    keyed hash of the decoy id (bounded, and revealing nothing about the names tried).
    """

    user: User | None
    user_id_for_srp: str
    lockout_key: str

    @property
    def credential(self) -> bytes | None:
        """The user's sealed password credential, None for a decoy or a password-less user."""
        return None if self.user is None else self.user.password


def subject_of(box: SecretBox, pool: Pool, client: Client, user: User | None, name: str) -> Subject:
    """The subject of a sign-in that named `name` and found `user` (None: unknown).

    Unknown names are UserNotFoundException "User does not exist." unless the client has
    PreventUserExistenceErrors ENABLED; then they get a decoy.
    """
    if user is not None:
        return Subject(user=user, user_id_for_srp=user.username, lockout_key=str(user.id))
    if not client.prevent_user_existence_errors:
        raise UserNotFoundException("User does not exist.")
    return decoy_subject(box, pool, decoy_id(box, pool, name))


def decoy_subject(box: SecretBox, pool: Pool, user_id_for_srp: str) -> Subject:
    """The subject for decoy id `user_id_for_srp` (a later step of a decoy's sign-in)."""
    key = box.keyed_hash(f"{pool.id}\x00{user_id_for_srp}", _FAILURE_SUBJECT)
    return Subject(user=None, user_id_for_srp=user_id_for_srp, lockout_key=key)


def decoy_id(box: SecretBox, pool: Pool, name: str) -> str:
    """The USER_ID_FOR_SRP shown for an unknown `name`: what a real user would show.

    Where the stored username of a real user would be a UUID (pools with UsernameAttributes)
    or could not look like the name (an email or phone alias), a UUID derived from the name;
    otherwise the name's lookup key (lower case unless the pool is case-sensitive).
    """
    key = username_key(name, case_sensitive=pool.is_case_sensitive)
    if pool.username_attributes or is_email(name) or is_phone_number(name):
        digest = box.keyed_hash(f"{pool.id}\x00{key}", _DECOY_ID)
        return str(uuid.UUID(hex=digest[:32], version=4))
    return key


def decoy_verifier(box: SecretBox, pool_id: str, user_id_for_srp: str) -> tuple[bytes, int]:
    """A deterministic (salt, v) for a decoy, shaped like a real credential's.

    The salt is 16 bytes like a real one; v is a SHAKE-256 expansion of a keyed hash, reduced
    mod N, which no password matches. Deriving both costs about what opening a real credential
    does (one AES-GCM decryption): a test can time a wrong password against an unknown name
    to tens of microseconds (tests/wire/test_timing.py). Deriving v needs no exponentiation,
    so the SRP start that follows costs exactly what it costs for a real user.
    """
    seed = bytes.fromhex(box.keyed_hash(f"{pool_id}\x00{user_id_for_srp}", _DECOY_VERIFIER))
    stream = hashlib.shake_256(seed).digest(srp.SALT_BYTES + srp.N_BYTES)
    salt, blocks = stream[: srp.SALT_BYTES], stream[srp.SALT_BYTES :]
    return salt, int.from_bytes(blocks, "big") % srp.N


def load_verifier(box: SecretBox, pool_id: str, subject: Subject) -> tuple[bytes, int]:
    """The subject's (salt, v): the stored credential, or the decoy's."""
    credential = subject.credential
    if credential is None:
        return decoy_verifier(box, pool_id, subject.user_id_for_srp)
    return passwords.load_verifier(box, credential)


def password_matches(box: SecretBox, pool_id: str, subject: Subject, password: str) -> bool:
    """Whether `password` is the subject's (never for a decoy): one fixed-base g^x (srp.g_pow).

    Recomputes g^x with the subject's salt and compares it in constant time with v, the same
    work for users and decoys.
    """
    salt, verifier = load_verifier(box, pool_id, subject)
    pool_name = srp.pool_name_of(pool_id)
    candidate = srp.compute_verifier(pool_name, subject.user_id_for_srp, password, salt)
    is_match = hmac.compare_digest(
        candidate.to_bytes(srp.N_BYTES, "big"), verifier.to_bytes(srp.N_BYTES, "big")
    )
    return is_match and subject.credential is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifierStart:
    """The server's half of a PASSWORD_VERIFIER challenge, before it is sealed."""

    salt: bytes
    small_b: int
    big_b: int


def start_password_verifier(box: SecretBox, pool_id: str, subject: Subject) -> VerifierStart:
    """Pick b and compute B for the subject's verifier: one fixed-base g^b (srp.g_pow)."""
    salt, verifier = load_verifier(box, pool_id, subject)
    small_b, big_b = srp.start(verifier)
    return VerifierStart(salt=salt, small_b=small_b, big_b=big_b)


def password_verifier_parameters(
    start: VerifierStart, *, secret_block: str, user_id_for_srp: str
) -> dict[str, str]:
    """PASSWORD_VERIFIER's ChallengeParameters (cognito-surface.md §9, server step 2).

    SALT is canonically padded (`pad_hex`), because pycognito re-pads the string while
    amazon-cognito-identity-js round-trips it through an integer; SRP_B is plain hex.
    """
    return {
        "SALT": srp.pad_hex(int.from_bytes(start.salt, "big")),
        "SRP_B": format(start.big_b, "x"),
        "SECRET_BLOCK": secret_block,
        "USER_ID_FOR_SRP": user_id_for_srp,
        "USERNAME": user_id_for_srp,
    }


def password_claim_is_valid(
    box: SecretBox,
    pool_id: str,
    subject: Subject,
    session: AuthSession,
    responses: Mapping[str, str],
    now: datetime,
) -> bool:
    """Whether PASSWORD_VERIFIER's ChallengeResponses prove the password. CPU-heavy: two modexps.

    cognito-surface.md §9 server step 3: derive K from A, B, b and the subject's *current* v,
    rebuild the signed message with the stored internal username and the decoded secret
    block, compare the signature in constant time, and require TIMESTAMP within
    TIMESTAMP_SKEW of `now`. The key is derived even when the timestamp is bad, so the time
    taken does not say which check failed.
    """
    if session.srp_a is None or session.srp_small_b is None or session.srp_big_b is None:
        return False
    _salt, verifier = load_verifier(box, pool_id, subject)
    key = srp.session_key(session.srp_a, session.srp_big_b, session.srp_small_b, verifier)
    timestamp = responses["TIMESTAMP"]
    try:
        block = base64.b64decode(responses["PASSWORD_CLAIM_SECRET_BLOCK"], validate=True)
    except binascii.Error:
        return False
    pool_name = srp.pool_name_of(pool_id)
    expected = srp.expected_signature(key, pool_name, session.username, block, timestamp)
    is_signed = srp.signatures_match(expected, responses["PASSWORD_CLAIM_SIGNATURE"])
    moment = srp.parse_timestamp(timestamp)
    is_fresh = moment is not None and abs(moment - now) <= TIMESTAMP_SKEW
    return is_signed and is_fresh and subject.credential is not None


def check_can_sign_in(pool: Pool, user: User, now: datetime) -> None:
    """Refuse a user whose password was right but who may not sign in, with Cognito's errors.

    Runs only after a correct password, so these answers never reveal that an account exists
    to someone who does not know its password (security-test-plan.md A12, A13).
    """
    if not user.is_enabled:
        raise NotAuthorizedException("User is disabled.")
    if user.status is UserStatus.UNCONFIRMED:
        raise UserNotConfirmedException("User is not confirmed.")
    if user.status is UserStatus.RESET_REQUIRED:
        raise PasswordResetRequiredException("Password reset required for the user")
    if user.status is UserStatus.FORCE_CHANGE_PASSWORD and is_temporary_password_expired(
        pool, user, now
    ):
        raise NotAuthorizedException(
            "Temporary password has expired and must be reset by an administrator."
        )


def is_temporary_password_expired(pool: Pool, user: User, now: datetime) -> bool:
    """Whether the user's temporary password is older than TemporaryPasswordValidityDays."""
    days = int(pool.password_policy.get("TemporaryPasswordValidityDays") or 7)
    set_at = user.password_set_at or user.created_at
    return now > set_at + timedelta(days=days)


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    """A sign-in whose password is proven: who, through which client, which steps are done.

    `client_metadata` is the request's ClientMetadata, carried for the triggers that will
    receive it (PreAuthentication, PostAuthentication, PreTokenGeneration, custom auth).
    `device` is the user's device the request's DEVICE_KEY names (idp/device_auth.py), proven
    only once DEVICE_PASSWORD_VERIFIER is in `completed`.
    """

    pool: Pool
    client: Client
    user: User
    completed: tuple[str, ...] = ()
    client_metadata: Mapping[str, str] = field(default_factory=dict)
    device: Device | None = None


Step = Callable[[Attempt], str | None]
"""One stage after the password: the challenge it still requires, or None if satisfied."""


def _new_password_step(attempt: Attempt) -> str | None:
    is_due = attempt.user.status is UserStatus.FORCE_CHANGE_PASSWORD
    if is_due and Challenge.NEW_PASSWORD_REQUIRED not in attempt.completed:
        return Challenge.NEW_PASSWORD_REQUIRED
    return None


def _device_step(attempt: Attempt) -> str | None:
    """A remembered device proves itself (DEVICE_SRP_AUTH) instead of MFA (§9)."""
    device = attempt.device
    if device is None or not device.is_remembered:
        return None
    if Challenge.DEVICE_PASSWORD_VERIFIER in attempt.completed:
        return None
    return Challenge.DEVICE_SRP_AUTH


def _mfa_step(attempt: Attempt) -> str | None:
    user = attempt.user
    if attempt.device is not None and Challenge.DEVICE_PASSWORD_VERIFIER in attempt.completed:
        return None  # the remembered device stood in for MFA
    if FIRST_FACTOR_CODE in attempt.completed or Challenge.WEB_AUTHN in attempt.completed:
        return None  # a one-time code sent to the user, or a passkey, was the sign-in's factor
    return mfa.next_challenge(attempt.pool.config, user.mfa, user.attributes, attempt.completed)


STEPS: tuple[Step, ...] = (_new_password_step, _device_step, _mfa_step)
"""The stages after the password, in Cognito's order (cognito-surface.md §9 step 3).

A remembered device (DEVICE_SRP_AUTH, then DEVICE_PASSWORD_VERIFIER: auth/device_srp.py,
idp/device_auth.py) follows the new password and, once proven, replaces MFA (domain/mfa.py:
SMS_MFA / EMAIL_OTP / SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE, MFA_SETUP). Custom auth
(auth/custom_auth.py, idp/custom_auth.py) replaces the password stage and these steps; the
PreAuthentication trigger runs before the password check, PostAuthentication and
PreTokenGeneration after the last step, just before tokens are issued (idp/auth_triggers.py).
"""


def next_challenge(attempt: Attempt) -> str | None:
    """The next challenge the sign-in must pass, or None when tokens may be issued."""
    for step in STEPS:
        challenge = step(attempt)
        if challenge is not None:
            return challenge
    return None


def challenge_parameters(challenge: str, attempt: Attempt) -> dict[str, str]:
    """The ChallengeParameters answered with `challenge` (cognito-surface.md §2b table)."""
    if challenge == Challenge.NEW_PASSWORD_REQUIRED:
        return new_password_parameters(attempt.pool, attempt.user)
    if challenge == Challenge.DEVICE_SRP_AUTH:
        return {}
    pool_mfa = mfa.pool_mfa(attempt.pool.config)
    if challenge == Challenge.SOFTWARE_TOKEN_MFA:
        return {}
    if challenge == Challenge.SELECT_MFA_TYPE:
        choices = mfa.usable_factors(pool_mfa, attempt.user.mfa, attempt.user.attributes)
        return {"MFAS_CAN_CHOOSE": json.dumps([factor.value for factor in choices])}
    if challenge == Challenge.MFA_SETUP:
        return {"MFAS_CAN_SETUP": json.dumps(mfa.setup_options(pool_mfa))}
    # SMS_MFA and EMAIL_OTP send a code first: their parameters come from idp/mfa_codes.py.
    raise AssertionError(f"no parameters defined for challenge {challenge}")


def new_password_parameters(pool: Pool, user: User) -> dict[str, str]:
    """NEW_PASSWORD_REQUIRED's parameters: the user's attributes and the required ones missing.

    `requiredAttributes` is a JSON array string of "userAttributes.<name>" for each required
    schema attribute the user has no value for; `userAttributes` a JSON object string of the
    user's attributes (without `sub`, which no client may write back).
    """
    attributes = {name: value for name, value in user.attributes.items() if name != "sub"}
    missing = [
        _ATTRIBUTE_PREFIX + definition["Name"]
        for definition in pool.schema
        if definition.get("Required")
        and definition["Name"] != "sub"
        and not user.attributes.get(definition["Name"])
    ]
    return {
        "USER_ID_FOR_SRP": user.username,
        "requiredAttributes": json.dumps(missing),
        "userAttributes": json.dumps(attributes),
    }


def new_password_attributes(pool: Pool, user: User, responses: Mapping[str, str]) -> dict[str, str]:
    """The user's attributes after a NEW_PASSWORD_REQUIRED answer's `userAttributes.<name>`.

    Checked like any attribute update (schema, mutability, values), and every required
    attribute must then have a value. Raises InvalidParameterException otherwise.
    """
    given = [
        {"Name": name.removeprefix(_ATTRIBUTE_PREFIX), "Value": value}
        for name, value in responses.items()
        if name.startswith(_ATTRIBUTE_PREFIX)
    ]
    changes = check_attributes(pool.schema, given, is_creation=False)
    attributes = updated_attributes(user.attributes, changes)
    check_required(pool.schema, attributes)
    return attributes
