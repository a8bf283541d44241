"""The pool's X.509 signing certificate (GetSigningCertificate; SAML federation signs with it)."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def new_signing_certificate(pool_id: str, now: datetime) -> tuple[bytes, str]:
    """A fresh RSA-2048 key and a self-signed certificate for the pool, valid ten years.

    Returns the PKCS#8 PEM private key and the certificate as base64 DER, the form
    GetSigningCertificate answers with.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, pool_id)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    return private_pem, base64.b64encode(der).decode()
