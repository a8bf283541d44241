"""WebAuthn ceremonies for passkeys: the options documents, the challenges, and the verification
of what the authenticator returned. The cryptography is the `webauthn` library's (py_webauthn);
this module decides what to expect and turns every failure into Cognito's error.

Sources: WebAuthn Level 3 §7.1 (registering a new credential) and §7.2 (verifying an
authentication assertion); cognito-surface.md §2a "WebAuthn" (StartWebAuthnRegistration returns a
PublicKeyCredentialCreationOptionsJSON, CompleteWebAuthnRegistration takes a
RegistrationResponseJSON) and §2b (WEB_AUTHN: CREDENTIAL_REQUEST_OPTIONS, CREDENTIAL an
AuthenticationResponseJSON); the seven WebAuthn* exception descriptions of the botocore model.

Challenges carry no server state (DESIGN §0). A registration challenge *is* a sealed blob
(SecretBox purpose REGISTRATION_PURPOSE) naming pool, user, client and expiry: the client hands
it back inside clientDataJSON, and its random id is spent once in `spent_sessions`. A sign-in
challenge is a keyed hash of its Session's id, so it lives and dies with that single-use,
expiring Session. Pure and sync: one signature check at most, cheaper than the SRP it replaces.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    bytes_to_base64url,
    decode_credential_public_key,
    options_to_json_dict,
    parse_attestation_object,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AttestedCredentialData,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    ClientDataType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from cognate.auth.flow import INCORRECT
from cognate.domain import passkeys
from cognate.domain.passkeys import Passkey, UserVerification
from cognate.errors import (
    InvalidParameterException,
    NotAuthorizedException,
    WebAuthnChallengeNotFoundException,
    WebAuthnClientMismatchException,
    WebAuthnCredentialNotSupportedException,
    WebAuthnOriginNotAllowedException,
    WebAuthnRelyingPartyMismatchException,
)
from cognate.secretbox import SecretBox

REGISTRATION_PURPOSE: Final = "webauthn-registration-challenge"
"""SecretBox purpose of a registration challenge."""

ASSERTION_PURPOSE: Final = "webauthn-assertion-challenge"
"""Keyed-hash purpose deriving a sign-in challenge from its Session id."""

REGISTRATION_VALIDITY: Final = timedelta(milliseconds=passkeys.CHALLENGE_TIMEOUT_MS)
"""How long a registration challenge may be completed after StartWebAuthnRegistration."""

ALGORITHMS: Final = (
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
)
"""pubKeyCredParams, in order of preference: ES256 (every platform authenticator), Ed25519, RS256
(Windows Hello). A credential with any other key is WebAuthnCredentialNotSupportedException."""

_TRANSPORTS = frozenset(transport.value for transport in AuthenticatorTransport)
_NOT_FOUND = "The WebAuthn registration challenge was not found or has expired."
_INVALID_CREDENTIAL = "Credential is not a valid RegistrationResponseJSON."
_VERSION = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationChallenge:
    """What a registration challenge stands for: one user of one pool, through one client."""

    id: str
    pool_id: str
    user_sub: str
    client_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class NewPasskey:
    """A verified registration: the challenge it answered and the credential to store."""

    challenge: RegistrationChallenge
    credential_id: str
    public_key: bytes
    sign_count: int
    attachment: str | None
    transports: tuple[str, ...]


def user_handle(user_sub: str) -> bytes:
    """The WebAuthn user handle (`user.id`) of a user: their sub, which never changes."""
    return user_sub.encode()


def new_registration_challenge(
    box: SecretBox, *, pool_id: str, user_sub: str, client_id: str, now: datetime
) -> bytes:
    """A fresh registration challenge for one user and client, valid for REGISTRATION_VALIDITY."""
    fields = {
        "v": _VERSION,
        "id": secrets.token_hex(16),
        "p": pool_id,
        "s": user_sub,
        "c": client_id,
        "exp": (now + REGISTRATION_VALIDITY).isoformat(),
    }
    return box.encrypt(json.dumps(fields, separators=(",", ":")).encode(), REGISTRATION_PURPOSE)


def open_registration_challenge(box: SecretBox, challenge: bytes) -> RegistrationChallenge:
    """The challenge `new_registration_challenge` sealed; WebAuthnChallengeNotFoundException if
    it is not one (altered, foreign, another purpose). Its expiry is the caller's check."""
    try:
        fields = json.loads(box.decrypt(challenge, REGISTRATION_PURPOSE))
        if fields["v"] != _VERSION:
            raise ValueError("unknown version")
        return RegistrationChallenge(
            id=fields["id"],
            pool_id=fields["p"],
            user_sub=fields["s"],
            client_id=fields["c"],
            expires_at=datetime.fromisoformat(fields["exp"]),
        )
    except (ValueError, KeyError, TypeError):
        raise WebAuthnChallengeNotFoundException(_NOT_FOUND) from None


def registration_options(
    *,
    challenge: bytes,
    rp_id: str,
    rp_name: str,
    user_sub: str,
    user_name: str,
    registered: Sequence[Passkey],
    verification: UserVerification,
) -> dict[str, Any]:
    """StartWebAuthnRegistration's CredentialCreationOptions: a
    PublicKeyCredentialCreationOptionsJSON document.

    A discoverable credential (residentKey required), so the user can later sign in by choosing
    it; no attestation, because Cognito keeps no authenticator allow-list; the user's passkeys
    excluded, so one authenticator is not registered twice; credProps asked, as Cognito does.
    """
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_name,
        user_id=user_handle(user_sub),
        user_name=user_name,
        challenge=challenge,
        timeout=passkeys.CHALLENGE_TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement(verification.value),
        ),
        exclude_credentials=[_descriptor(passkey) for passkey in registered],
        supported_pub_key_algs=list(ALGORITHMS),
    )
    document = options_to_json_dict(options)
    document["extensions"] = {"credProps": True}
    return document


def verify_registration(
    box: SecretBox,
    credential: object,
    *,
    pool_id: str,
    user_sub: str,
    client_id: str,
    rp_id: str,
    verification: UserVerification,
    now: datetime,
) -> NewPasskey:
    """Check a RegistrationResponseJSON against its challenge, the pool's RP id and origins.

    Each failure has Cognito's error: a malformed credential InvalidParameterException; a
    challenge not issued for this user, or expired, WebAuthnChallengeNotFoundException; one
    issued through another client WebAuthnClientMismatchException; an origin outside the RP id
    WebAuthnOriginNotAllowedException; authenticator data for another RP id
    WebAuthnRelyingPartyMismatchException; a key type we do not take, or no user verification
    when it is required, WebAuthnCredentialNotSupportedException.
    """
    try:
        parsed = parse_registration_credential_json(_json_object(credential))
        client_data = parse_client_data_json(parsed.response.client_data_json)
        attestation = parse_attestation_object(parsed.response.attestation_object)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise InvalidParameterException(_INVALID_CREDENTIAL) from None
    challenge = open_registration_challenge(box, client_data.challenge)
    if (
        challenge.pool_id != pool_id
        or challenge.user_sub != user_sub
        or now >= challenge.expires_at
    ):
        raise WebAuthnChallengeNotFoundException(_NOT_FOUND)
    if challenge.client_id != client_id:
        raise WebAuthnClientMismatchException(
            "The access token is for a different client than the one that started registration."
        )
    if client_data.type != ClientDataType.WEBAUTHN_CREATE:
        raise InvalidParameterException(_INVALID_CREDENTIAL)
    if not passkeys.is_origin_allowed(client_data.origin, rp_id):
        raise WebAuthnOriginNotAllowedException(
            f"Origin {client_data.origin} is not allowed for relying party {rp_id}."
        )
    if not hmac.compare_digest(attestation.auth_data.rp_id_hash, _rp_id_hash(rp_id)):
        raise WebAuthnRelyingPartyMismatchException(
            "The passkey was created for another relying party than this user pool's."
        )
    is_verified = attestation.auth_data.flags.uv
    if verification is UserVerification.REQUIRED and not is_verified:
        raise WebAuthnCredentialNotSupportedException(
            "The user pool requires passkeys with user verification."
        )
    _check_algorithm(attestation.auth_data.attested_credential_data)
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=client_data.challenge,
            expected_rp_id=rp_id,
            expected_origin=client_data.origin,
            require_user_verification=verification is UserVerification.REQUIRED,
            supported_pub_key_algs=list(ALGORITHMS),
        )
    except WebAuthnException as exc:
        raise InvalidParameterException(_INVALID_CREDENTIAL) from exc
    attachment = parsed.authenticator_attachment
    return NewPasskey(
        challenge=challenge,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        attachment=None if attachment is None else attachment.value,
        transports=tuple(transport.value for transport in parsed.response.transports or ()),
    )


def assertion_challenge(box: SecretBox, session_id: str) -> bytes:
    """The WEB_AUTHN challenge of the Session with id `session_id` (32 bytes, unguessable
    without the master key, and single-use because the Session is)."""
    return bytes.fromhex(box.keyed_hash(session_id, ASSERTION_PURPOSE))


def request_options(
    *,
    challenge: bytes,
    rp_id: str,
    registered: Sequence[Passkey],
    verification: UserVerification,
) -> dict[str, Any]:
    """WEB_AUTHN's CREDENTIAL_REQUEST_OPTIONS (PublicKeyCredentialRequestOptionsJSON), allowing
    the user's passkeys for this RP id."""
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=passkeys.CHALLENGE_TIMEOUT_MS,
        allow_credentials=[_descriptor(passkey) for passkey in registered],
        user_verification=UserVerificationRequirement(verification.value),
    )
    return options_to_json_dict(options)


def parse_assertion(text: str) -> AuthenticationCredential:
    """CREDENTIAL as an AuthenticationResponseJSON; InvalidParameterException if it is not one."""
    try:
        return parse_authentication_credential_json(text)
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise InvalidParameterException(
            "CREDENTIAL is not a valid AuthenticationResponseJSON."
        ) from None


def assertion_id(assertion: AuthenticationCredential) -> str:
    """The credential id an assertion names, in the stored (unpadded base64url) spelling."""
    return bytes_to_base64url(assertion.raw_id)


def verify_assertion(
    assertion: AuthenticationCredential,
    passkey: Passkey,
    *,
    challenge: bytes,
    rp_id: str,
    user_sub: str,
    verification: UserVerification,
) -> int:
    """The passkey's new signature counter once `assertion` proves possession of it.

    WebAuthn §7.2: the challenge this Session issued, an allowed origin, the RP id hash, user
    presence (and verification when required), a user handle (if sent) naming this user, a
    valid signature by the stored public key, and a counter that moved forward (a cloned
    authenticator shows an old one). Any failure is NotAuthorizedException, the one error
    RespondToAuthChallenge declares for it, with the message of a wrong password.
    """
    try:
        client_data = parse_client_data_json(assertion.response.client_data_json)
        handle = assertion.response.user_handle
        is_expected = (
            client_data.type == ClientDataType.WEBAUTHN_GET
            and passkeys.is_origin_allowed(client_data.origin, rp_id)
            and (handle is None or hmac.compare_digest(handle, user_handle(user_sub)))
        )
        if not is_expected:
            raise NotAuthorizedException(INCORRECT)
        verified = verify_authentication_response(
            credential=assertion,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=client_data.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=verification is UserVerification.REQUIRED,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        raise NotAuthorizedException(INCORRECT) from None
    return verified.new_sign_count


def _check_algorithm(data: AttestedCredentialData | None) -> None:
    """WebAuthnCredentialNotSupportedException for a key type outside ALGORITHMS."""
    if data is None:
        raise InvalidParameterException(_INVALID_CREDENTIAL)
    try:
        algorithm = decode_credential_public_key(data.credential_public_key).alg
    except WebAuthnException:
        algorithm = None
    if algorithm not in ALGORITHMS:
        raise WebAuthnCredentialNotSupportedException(
            "The passkey's public key type is not supported."
        )


def _rp_id_hash(rp_id: str) -> bytes:
    return hashlib.sha256(rp_id.encode()).digest()


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = [
        AuthenticatorTransport(name) for name in passkey.transports if name in _TRANSPORTS
    ]
    return PublicKeyCredentialDescriptor(
        id=_from_base64url(passkey.credential_id), transports=transports or None
    )


def _from_base64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_object(credential: object) -> dict[str, Any] | str:
    """The Credential document as the library takes it: an object, or JSON text of one."""
    if isinstance(credential, str):
        return credential
    if isinstance(credential, Mapping):
        return dict(credential)
    raise InvalidParameterException(_INVALID_CREDENTIAL)
