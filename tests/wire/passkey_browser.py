"""A real passkey authenticator for the wire tests: Chromium's virtual authenticator (CTAP2,
internal transport, resident keys, user verification) driven through the DevTools protocol,
behind a page served (by Playwright's router) at the origin a test chooses.

The page converts the options documents Cognate returns into navigator.credentials.create() /
get() arguments (base64url fields to ArrayBuffers) and the credential back into
RegistrationResponseJSON / AuthenticationResponseJSON, as a web app (or Amplify) does. `resign`
signs an assertion again with the authenticator's own private key, to build answers a browser
would never produce (another origin) whose signature is nonetheless valid.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_private_key

CHROMIUM = Path("/usr/bin/chromium")

PAGE = """<!doctype html>
<html><head><title>passkeys</title><script>
function toBuffer(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - base64.length % 4) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
}
function toText(buffer) {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
}
function descriptors(list) {
  return (list || []).map((item) => ({ ...item, id: toBuffer(item.id) }));
}
window.passkeyCreate = async (options) => {
  const publicKey = {
    ...options,
    challenge: toBuffer(options.challenge),
    user: { ...options.user, id: toBuffer(options.user.id) },
    excludeCredentials: descriptors(options.excludeCredentials),
  };
  const credential = await navigator.credentials.create({ publicKey });
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment,
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      attestationObject: toText(credential.response.attestationObject),
      transports: credential.response.getTransports(),
    },
    clientExtensionResults: credential.getClientExtensionResults(),
  };
};
window.passkeyGet = async (options) => {
  const publicKey = {
    ...options,
    challenge: toBuffer(options.challenge),
    allowCredentials: descriptors(options.allowCredentials),
  };
  const credential = await navigator.credentials.get({ publicKey });
  const handle = credential.response.userHandle;
  return {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment,
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      authenticatorData: toText(credential.response.authenticatorData),
      signature: toText(credential.response.signature),
      userHandle: handle ? toText(handle) : null,
    },
    clientExtensionResults: {},
  };
};
</script></head><body>passkeys</body></html>"""


def from_base64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def to_base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class Authenticator:
    """One browser context at `origin` with one virtual platform authenticator."""

    def __init__(self, browser: Any, origin: str) -> None:
        self.origin = origin
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.route(
            f"{origin}/**", lambda route: route.fulfill(content_type="text/html", body=PAGE)
        )
        self.page.goto(f"{origin}/passkeys")
        self.cdp = self.context.new_cdp_session(self.page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        added = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        self.authenticator_id = added["authenticatorId"]

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        """navigator.credentials.create() with StartWebAuthnRegistration's options."""
        result: dict[str, Any] = self.page.evaluate("o => window.passkeyCreate(o)", options)
        return result

    def get(self, options: dict[str, Any]) -> dict[str, Any]:
        """navigator.credentials.get() with a WEB_AUTHN challenge's options."""
        result: dict[str, Any] = self.page.evaluate("o => window.passkeyGet(o)", options)
        return result

    def private_key(self, credential_id: str) -> ec.EllipticCurvePrivateKey:
        """The private key the authenticator holds for `credential_id` (base64url)."""
        found = self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id}
        )["credentials"]
        for credential in found:
            if base64.b64decode(credential["credentialId"]) == from_base64url(credential_id):
                key = load_der_private_key(base64.b64decode(credential["privateKey"]), None)
                assert isinstance(key, ec.EllipticCurvePrivateKey)
                return key
        raise AssertionError(f"the authenticator holds no credential {credential_id}")

    def close(self) -> None:
        self.context.close()


def resign(
    assertion: dict[str, Any], key: ec.EllipticCurvePrivateKey, **client_data: Any
) -> dict[str, Any]:
    """`assertion` with its clientDataJSON fields replaced by `client_data`, signed again (as
    WebAuthn §6.3.3 signs: authenticatorData || SHA-256(clientDataJSON)) with `key`."""
    response = assertion["response"]
    collected = {**json.loads(from_base64url(response["clientDataJSON"])), **client_data}
    client_data_json = json.dumps(collected, separators=(",", ":")).encode()
    authenticator_data = from_base64url(response["authenticatorData"])
    signed = authenticator_data + hashlib.sha256(client_data_json).digest()
    signature = key.sign(signed, ec.ECDSA(hashes.SHA256()))
    return {
        **assertion,
        "response": {
            **response,
            "clientDataJSON": to_base64url(client_data_json),
            "signature": to_base64url(signature),
        },
    }
