"""The master key and what it does: encryption of secrets at rest, keyed hashes.

DESIGN §0: `{data_dir}/master.key` (created 0600 on first start) or COGNATE_MASTER_KEY holds 32
random bytes. Secrets that must be recoverable (SRP verifiers, TOTP seeds, signing keys, client
secrets) are AES-256-GCM encrypted with it; the `purpose` string is bound as associated data so a
ciphertext moved to another column does not decrypt. Short codes and tokens are stored only as
HMAC-SHA256 keyed hashes (a plain hash of a 6-digit code would be trivially reversed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_KEY_BYTES = 32
_NONCE_BYTES = 12


class MasterKeyError(RuntimeError):
    """The master key is missing, unreadable or malformed: the server must not start."""


class SecretBox:
    """AES-GCM encryption and keyed hashing under the master key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != _KEY_BYTES:
            raise MasterKeyError("the master key must be 32 bytes")
        self._aead = AESGCM(key)
        self._hash_key = hmac.new(key, b"cognate keyed hash", hashlib.sha256).digest()

    @classmethod
    def from_settings(cls, master_key: str | None, data_dir: Path) -> SecretBox:
        """Load the key from the setting, else from `{data_dir}/master.key`, creating it 0600."""
        if master_key:
            try:
                return cls(base64.b64decode(master_key, validate=True))
            except binascii.Error as exc:
                raise MasterKeyError("COGNATE_MASTER_KEY is not valid base64") from exc
        path = data_dir / "master.key"
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            key = secrets.token_bytes(_KEY_BYTES)
            # O_EXCL: two processes starting together never overwrite each other's key.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(base64.b64encode(key) + b"\n")
        try:
            return cls(base64.b64decode(path.read_bytes().strip(), validate=True))
        except (OSError, binascii.Error) as exc:
            raise MasterKeyError(f"cannot read the master key at {path}") from exc

    def encrypt(self, plaintext: bytes, purpose: str) -> bytes:
        """Encrypt `plaintext`; only `decrypt` with the same purpose recovers it."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, purpose.encode())

    def decrypt(self, ciphertext: bytes, purpose: str) -> bytes:
        """Decrypt what `encrypt` produced. Raises ValueError if it was altered or moved."""
        try:
            return self._aead.decrypt(
                ciphertext[:_NONCE_BYTES], ciphertext[_NONCE_BYTES:], purpose.encode()
            )
        except InvalidTag as exc:
            raise ValueError("ciphertext does not authenticate") from exc

    def keyed_hash(self, value: str, purpose: str) -> str:
        """Hex HMAC-SHA256 of `value` for `purpose`: what is stored instead of a code or token."""
        message = purpose.encode() + b"\x00" + value.encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()
