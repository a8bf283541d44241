"""WebAuthn ceremonies against a software authenticator (EC keys, "none" attestation): every
check of registration and assertion, each failing with its own Cognito error. The browser
round trip with a real authenticator is tests/wire/test_passkeys.py."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from cognate.auth import webauthn
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

BOX = SecretBox(secrets.token_bytes(32))
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
RP_ID = "example.com"
ORIGIN = "https://login.example.com"
SUB = "6f1c0a52-6a4e-4f57-9d3a-3c7f3f7b2a11"
UP, UV, AT = 0x01, 0x04, 0x40


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class SoftAuthenticator:
    """A minimal CTAP-less authenticator: one key pair, a counter, "none" attestation."""

    def __init__(self, curve: ec.EllipticCurve | None = None) -> None:
        self.key = ec.generate_private_key(curve or ec.SECP256R1())
        self.credential_id = secrets.token_bytes(16)
        self.count = 0

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        size = (self.key.curve.key_size + 7) // 8
        is_p256 = self.key.curve.name == "secp256r1"
        return cbor2.dumps(
            {
                1: 2,
                3: -7 if is_p256 else -35,
                -1: 1 if is_p256 else 2,
                -2: numbers.x.to_bytes(size, "big"),
                -3: numbers.y.to_bytes(size, "big"),
            }
        )

    def register(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        rp_id: str = RP_ID,
        flags: int = UP | UV | AT,
        kind: str = "webauthn.create",
    ) -> dict[str, Any]:
        client_data = {"type": kind, "challenge": options["challenge"], "origin": origin}
        attested = (
            bytes(16)
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self.cose_key()
        )
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + bytes(4) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "response": {
                "clientDataJSON": b64url(json.dumps(client_data).encode()),
                "attestationObject": b64url(attestation),
                "transports": ["usb", "nfc"],
            },
            "clientExtensionResults": {},
        }

    def assert_(
        self,
        options: dict[str, Any],
        *,
        origin: str = ORIGIN,
        rp_id: str = RP_ID,
        flags: int = UP | UV,
        kind: str = "webauthn.get",
        user_handle: bytes | None = SUB.encode(),
        count: int | None = None,
    ) -> str:
        self.count = self.count + 1 if count is None else count
        client_data = json.dumps(
            {"type": kind, "challenge": options["challenge"], "origin": origin}
        ).encode()
        data = (
            hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + self.count.to_bytes(4, "big")
        )
        signature = self.key.sign(
            data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(data),
                    "signature": b64url(signature),
                    "userHandle": None if user_handle is None else b64url(user_handle),
                },
                "clientExtensionResults": {},
            }
        )


def options_for(challenge: bytes) -> dict[str, Any]:
    return webauthn.registration_options(
        challenge=challenge,
        rp_id=RP_ID,
        rp_name="pool",
        user_sub=SUB,
        user_name="alice",
        registered=[],
        verification=UserVerification.REQUIRED,
    )


def started(*, client_id: str = "client", now: datetime = NOW) -> dict[str, Any]:
    challenge = webauthn.new_registration_challenge(
        BOX, pool_id="pool", user_sub=SUB, client_id=client_id, now=now
    )
    return options_for(challenge)


def verify(credential: Any, **overrides: Any) -> webauthn.NewPasskey:
    arguments: dict[str, Any] = {
        "pool_id": "pool",
        "user_sub": SUB,
        "client_id": "client",
        "rp_id": RP_ID,
        "verification": UserVerification.REQUIRED,
        "now": NOW,
        **overrides,
    }
    return webauthn.verify_registration(BOX, credential, **arguments)


def registered(device: SoftAuthenticator) -> Passkey:
    new = verify(device.register(started()))
    return Passkey(
        credential_id=new.credential_id,
        pool_id="pool",
        user_id=1,
        public_key=new.public_key,
        sign_count=new.sign_count,
        friendly_name="Security key",
        relying_party_id=RP_ID,
        attachment=new.attachment,
        transports=new.transports,
        created_at=NOW,
    )


def test_registration_options_document() -> None:
    options = started()
    assert options["rp"] == {"id": RP_ID, "name": "pool"}
    assert base64.urlsafe_b64decode(options["user"]["id"] + "==") == SUB.encode()
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["attestation"] == "none"
    assert [param["alg"] for param in options["pubKeyCredParams"]] == [-7, -8, -257]
    assert options["extensions"] == {"credProps": True}


def test_a_registration_verifies_and_says_what_to_store() -> None:
    device = SoftAuthenticator()
    new = verify(device.register(started()))
    assert new.credential_id == b64url(device.credential_id)
    assert new.attachment == "cross-platform"
    assert new.transports == ("usb", "nfc")
    assert new.challenge.user_sub == SUB
    assert new.challenge.expires_at == NOW + webauthn.REGISTRATION_VALIDITY
    # The JSON text of the same document is taken too.
    assert verify(json.dumps(device.register(started()))).credential_id == new.credential_id


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"now": NOW + webauthn.REGISTRATION_VALIDITY}, WebAuthnChallengeNotFoundException),
        ({"user_sub": "someone-else"}, WebAuthnChallengeNotFoundException),
        ({"pool_id": "other-pool"}, WebAuthnChallengeNotFoundException),
        ({"client_id": "other-client"}, WebAuthnClientMismatchException),
        ({"rp_id": "login.example.com"}, WebAuthnRelyingPartyMismatchException),
        ({"rp_id": "other.net"}, WebAuthnOriginNotAllowedException),
    ],
)
def test_registration_refusals_by_context(overrides: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        verify(SoftAuthenticator().register(started()), **overrides)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"origin": "https://evil.example"}, WebAuthnOriginNotAllowedException),
        ({"origin": "http://login.example.com"}, WebAuthnOriginNotAllowedException),
        ({"rp_id": "evil.example"}, WebAuthnRelyingPartyMismatchException),
        ({"flags": UP | AT}, WebAuthnCredentialNotSupportedException),
        ({"flags": UV | AT}, InvalidParameterException),  # no user presence
        ({"kind": "webauthn.get"}, InvalidParameterException),
    ],
)
def test_registration_refusals_by_answer(answer: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        verify(SoftAuthenticator().register(started(), **answer))


def test_user_verification_is_optional_when_preferred() -> None:
    credential = SoftAuthenticator().register(started(), flags=UP | AT)
    assert verify(credential, verification=UserVerification.PREFERRED)


def test_unsupported_key_type_and_malformed_credentials() -> None:
    with pytest.raises(WebAuthnCredentialNotSupportedException):
        verify(SoftAuthenticator(ec.SECP384R1()).register(started()))
    for malformed in ({}, {"id": "x"}, "not json", 42, ["list"]):
        with pytest.raises(InvalidParameterException):
            verify(malformed)


def test_a_challenge_not_sealed_by_this_server_is_not_found() -> None:
    foreign = SecretBox(secrets.token_bytes(32))
    challenge = webauthn.new_registration_challenge(
        foreign, pool_id="pool", user_sub=SUB, client_id="client", now=NOW
    )
    with pytest.raises(WebAuthnChallengeNotFoundException):
        verify(SoftAuthenticator().register(options_for(challenge)))
    with pytest.raises(WebAuthnChallengeNotFoundException):
        verify(SoftAuthenticator().register(options_for(secrets.token_bytes(32))))


def sign_in_options(passkey: Passkey, session_id: str = "session-1") -> dict[str, Any]:
    return webauthn.request_options(
        challenge=webauthn.assertion_challenge(BOX, session_id),
        rp_id=RP_ID,
        registered=[passkey],
        verification=UserVerification.REQUIRED,
    )


def check(passkey: Passkey, text: str, session_id: str = "session-1", **overrides: Any) -> int:
    arguments: dict[str, Any] = {
        "challenge": webauthn.assertion_challenge(BOX, session_id),
        "rp_id": RP_ID,
        "user_sub": SUB,
        "verification": UserVerification.REQUIRED,
        **overrides,
    }
    return webauthn.verify_assertion(webauthn.parse_assertion(text), passkey, **arguments)


def test_request_options_and_a_valid_assertion() -> None:
    device = SoftAuthenticator()
    passkey = registered(device)
    options = sign_in_options(passkey)
    assert options["rpId"] == RP_ID
    assert options["userVerification"] == "required"
    assert options["allowCredentials"] == [
        {"type": "public-key", "id": passkey.credential_id, "transports": ["usb", "nfc"]}
    ]
    assertion = webauthn.parse_assertion(device.assert_(options))
    assert webauthn.assertion_id(assertion) == passkey.credential_id
    assert check(passkey, device.assert_(options)) == 2
    assert check(passkey, device.assert_(options, user_handle=None)) == 3


def test_challenges_are_bound_to_their_session_and_key() -> None:
    first = webauthn.assertion_challenge(BOX, "session-1")
    assert first == webauthn.assertion_challenge(BOX, "session-1")
    assert first != webauthn.assertion_challenge(BOX, "session-2")
    assert first != webauthn.assertion_challenge(SecretBox(secrets.token_bytes(32)), "session-1")
    assert len(first) == 32


@pytest.mark.parametrize(
    "answer",
    [
        {"origin": "https://evil.example"},
        {"rp_id": "evil.example"},
        {"kind": "webauthn.create"},
        {"flags": UP},  # no user verification, which the pool requires
        {"flags": UV},  # no user presence
        {"user_handle": b"another-user"},
    ],
)
def test_assertion_refusals(answer: dict[str, Any]) -> None:
    device = SoftAuthenticator()
    passkey = registered(device)
    with pytest.raises(NotAuthorizedException, match="Incorrect username or password"):
        check(passkey, device.assert_(sign_in_options(passkey), **answer))


def test_a_counter_that_did_not_move_is_refused() -> None:
    device = SoftAuthenticator()
    passkey = dataclasses.replace(registered(device), sign_count=5)
    with pytest.raises(NotAuthorizedException):
        check(passkey, device.assert_(sign_in_options(passkey), count=5))  # a cloned authenticator
    assert check(passkey, device.assert_(sign_in_options(passkey), count=6)) == 6
    # Authenticators without a counter always say 0, and stay acceptable.
    uncounted = registered(device)
    assert check(uncounted, device.assert_(sign_in_options(uncounted), count=0)) == 0


def test_assertion_for_another_session_or_key_is_refused() -> None:
    device = SoftAuthenticator()
    passkey = registered(device)
    text = device.assert_(sign_in_options(passkey, "session-1"))
    with pytest.raises(NotAuthorizedException):
        check(passkey, text, "session-2")
    impostor = SoftAuthenticator()
    impostor.credential_id = device.credential_id
    with pytest.raises(NotAuthorizedException):
        check(passkey, impostor.assert_(sign_in_options(passkey)))
    assert check(passkey, text) == 1  # the honest one still verifies


def test_user_verification_may_be_skipped_when_preferred() -> None:
    device = SoftAuthenticator()
    passkey = registered(device)
    text = device.assert_(sign_in_options(passkey), flags=UP)
    assert check(passkey, text, verification=UserVerification.PREFERRED) == 1


def test_malformed_assertions() -> None:
    for text in ("", "{}", "[1]", '{"id": "a", "rawId": "a", "response": {}}'):
        with pytest.raises(InvalidParameterException):
            webauthn.parse_assertion(text)


def test_the_registration_validity_is_short() -> None:
    assert timedelta(minutes=1) <= webauthn.REGISTRATION_VALIDITY <= timedelta(minutes=15)
