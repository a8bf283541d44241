"""The code a CustomEmailSender / CustomSMSSender function receives, encrypted: Cognate's local
stand-in for KMS.

Cognito ("Custom email sender Lambda trigger", "Custom SMS sender Lambda trigger") encrypts
`request.code` with the KMS key named by the pool's LambdaConfig.KMSKeyID and sends it as the
base64 of an AWS Encryption SDK message; the function decrypts it with that SDK and KMS. There
is no KMS here, so Cognate encrypts with a key of its own, derived from the master key and the
KMSKeyID string:

    key      = HKDF-SHA256(IKM = master key, salt = "cognate custom sender code",
                           info = KMSKeyID, length = 32)                      (RFC 5869)
    envelope = 0x01 || nonce (12 bytes) || AES-256-GCM(key, nonce, code, AAD = 0x01 || KMSKeyID)
    code     = base64(envelope)

A handler ported from AWS swaps its Encryption SDK call for `decrypt_code` (or the
`cognate decrypt-code` command); a different KMSKeyID, master key or altered byte does not
decrypt. This is not the Encryption SDK's format, deliberately: nothing here talks to KMS.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cognate.settings import Settings

VERSION = 1
_SALT = b"cognate custom sender code"
_NONCE_BYTES = 12


def _key(master_key: bytes, kms_key_id: str) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=_SALT, info=kms_key_id.encode()
    ).derive(master_key)
    return AESGCM(derived)


def _associated_data(kms_key_id: str) -> bytes:
    return bytes([VERSION]) + kms_key_id.encode()


def _master_key(master_key_b64: str) -> bytes:
    try:
        return base64.b64decode(master_key_b64.strip(), validate=True)
    except binascii.Error as exc:
        raise ValueError("the master key is not base64") from exc


def encrypt_code(code: str, kms_key_id: str, master_key_b64: str) -> str:
    """The base64 envelope of `code` for the key named `kms_key_id` (module docstring).

    Raises ValueError if the master key is not base64.
    """
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = _key(_master_key(master_key_b64), kms_key_id).encrypt(
        nonce, code.encode(), _associated_data(kms_key_id)
    )
    return base64.b64encode(bytes([VERSION]) + nonce + sealed).decode()


def decrypt_code(ciphertext_b64: str, kms_key_id: str, master_key_b64: str) -> str:
    """The plaintext code of `ciphertext_b64`, the `request.code` of a custom sender event.

    `kms_key_id` is the pool's LambdaConfig.KMSKeyID exactly as configured; `master_key_b64`
    is the server's master key (COGNATE_MASTER_KEY, or the content of `{data_dir}/master.key`).
    Raises ValueError if the input is not such an envelope, or was encrypted for another
    KMSKeyID or master key, or was altered.
    """
    master_key = _master_key(master_key_b64)
    try:
        envelope = base64.b64decode(ciphertext_b64.strip(), validate=True)
    except binascii.Error as exc:
        raise ValueError("the code is not base64") from exc
    if len(envelope) <= 1 + _NONCE_BYTES or envelope[0] != VERSION:
        raise ValueError("not a Cognate code envelope (version 1)")
    nonce, sealed = envelope[1 : 1 + _NONCE_BYTES], envelope[1 + _NONCE_BYTES :]
    try:
        plaintext = _key(master_key, kms_key_id).decrypt(
            nonce, sealed, _associated_data(kms_key_id)
        )
    except InvalidTag as exc:
        raise ValueError("the code does not decrypt with this KMS key id and master key") from exc
    return plaintext.decode()


def read_master_key(settings: Settings) -> str:
    """The base64 master key as the server reads it: COGNATE_MASTER_KEY, else
    `{data_dir}/master.key` (created by the server's first start, never here).

    Raises OSError if neither is available.
    """
    if settings.master_key:
        return settings.master_key
    return (settings.data_dir / "master.key").read_text().strip()
