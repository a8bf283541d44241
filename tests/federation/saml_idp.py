"""A SAML 2.0 identity provider for the tests: pysaml2's IdP (`saml2.server.Server`) with its own
key and certificate (made with `cryptography`), served over HTTP on localhost.

GET /metadata serves its metadata; GET /sso takes an AuthnRequest (HTTP-Redirect binding),
checks its query-string signature (if any) against the requesting pool's certificate itself
(with `cryptography`, not with the code under test), and answers with the HTTP-POST binding's
auto-submitting form carrying a signed Response for `user` (see `answer`). Tests can also make
responses directly (`response`) to post whatever they need.
"""

from __future__ import annotations

import base64
import html
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.assertion import Policy
from saml2.config import IdPConfig, SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
NAME = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
GROUPS = "http://schemas.xmlsoap.org/claims/Group"
_URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"


def key_pair(folder: Path, name: str) -> tuple[Path, Path]:
    """A fresh RSA key and self-signed certificate, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def static_metadata(entity_id: str, base_url: str) -> str:
    """A minimal, valid IdP metadata document (a fresh signing certificate, Redirect SSO and
    SLO at `base_url`), for tests that only configure providers."""
    folder = Path(tempfile.mkdtemp())
    _key, cert = key_pair(folder, "static")
    body = "".join(cert.read_text().strip().splitlines()[1:-1])
    md, ds = "urn:oasis:names:tc:SAML:2.0:metadata", "http://www.w3.org/2000/09/xmldsig#"
    return (
        f'<md:EntityDescriptor xmlns:md="{md}" xmlns:ds="{ds}" entityID="{entity_id}">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        f'<md:SingleLogoutService Binding="{BINDING_HTTP_REDIRECT}" Location="{base_url}/slo"/>'
        f'<md:SingleSignOnService Binding="{BINDING_HTTP_REDIRECT}" Location="{base_url}/sso"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def _pem(certificate: str) -> bytes:
    der = base64.b64decode(certificate)
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


@dataclass
class Request:
    """An AuthnRequest the IdP received."""

    id: str
    issuer: str
    acs: str
    relay_state: str
    is_signed: bool


@dataclass
class Logout:
    """A LogoutRequest the IdP received."""

    id: str
    issuer: str
    name_id: str
    session_indexes: list[str]
    relay_state: str
    is_signed: bool


@dataclass
class SamlIdp:
    """The IdP; `user` is who signs in at /sso (NameID and attributes)."""

    url: str
    folder: Path
    name_id: str = "jane"
    attributes: dict[str, list[str]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    logouts: list[Logout] = field(default_factory=list)
    logout_answers: list[Any] = field(default_factory=list)
    sign_logout_responses: bool = True
    _sp_certs: dict[str, bytes] = field(default_factory=dict)
    _server: Server | None = None

    @property
    def entity_id(self) -> str:
        return f"{self.url}/idp"

    def start_server(self) -> None:
        key, cert = key_pair(self.folder, "idp")
        config = IdPConfig()
        config.load({
            "entityid": self.entity_id,
            "service": {"idp": {
                "endpoints": {
                    "single_sign_on_service": [(f"{self.url}/sso", BINDING_HTTP_REDIRECT)],
                    "single_logout_service": [(f"{self.url}/slo", BINDING_HTTP_REDIRECT)],
                },
                "policy": {"default": {"lifetime": {"minutes": 5},
                                       "attribute_restrictions": None, "name_form": _URI_FORMAT}},
            }},
            "key_file": str(key), "cert_file": str(cert), "metadata": {},
            "allow_unknown_attributes": True,
        })  # fmt: skip
        self._server = Server(config=config)

    @property
    def server(self) -> Server:
        assert self._server is not None
        return self._server

    @property
    def metadata(self) -> str:
        xml: bytes = create_metadata_string(None, config=self.server.config, valid=None)
        return xml.decode()

    def register_sp(self, entity_id: str, acs: str, certificate: str) -> None:
        """Know the SP `entity_id` (a pool: GetSigningCertificate's `certificate`)."""
        cert_file = self.folder / f"sp-{len(self._sp_certs)}.crt"
        cert_file.write_bytes(_pem(certificate))
        config = SPConfig()
        config.load({
            "entityid": entity_id,
            "service": {"sp": {"endpoints": {
                "assertion_consumer_service": [(acs, BINDING_HTTP_POST)],
                "single_logout_service": [
                    (acs.replace("/idpresponse", "/logout"), BINDING_HTTP_REDIRECT)],
            }}},
            "cert_file": str(cert_file), "encryption_keypairs": [{"cert_file": str(cert_file)}],
        })  # fmt: skip
        xml: bytes = create_metadata_string(None, config=config, valid=None)
        self.server.metadata.load("inline", xml.decode())
        self._sp_certs[entity_id] = _pem(certificate)

    def response(
        self,
        *,
        in_response_to: str | None,
        sp_entity_id: str,
        acs: str,
        lifetime_minutes: int = 5,
        encrypt_to: str | None = None,
    ) -> str:
        """A Response for `name_id`/`attributes`, assertion signed, base64 (the form value)."""
        policy = Policy(
            {"default": {"lifetime": {"minutes": lifetime_minutes},
                         "attribute_restrictions": None, "name_form": _URI_FORMAT}},
            mds=self.server.metadata,
        )  # fmt: skip
        extra: dict[str, Any] = {}
        if encrypt_to is not None:
            extra = {"encrypt_assertion": True, "encrypt_cert_assertion": encrypt_to}
        response = self.server.create_authn_response(
            dict(self.attributes), in_response_to=in_response_to, destination=acs,
            sp_entity_id=sp_entity_id, release_policy=policy,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=self.name_id),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_assertion=True, sign_response=False, **extra,
        )  # fmt: skip
        return base64.b64encode(str(response).encode()).decode()

    def receive(self, query: str) -> Request:
        """Read an AuthnRequest (Redirect binding), checking its signature if it has one."""
        params = parse_qs(query)
        parsed = self.server.parse_authn_request(params["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        message = parsed.message
        signature = params.get("Signature")
        if signature:
            self._check_signature(query, "SAMLRequest", message.issuer.text)
        request = Request(
            id=message.id, issuer=message.issuer.text,
            acs=message.assertion_consumer_service_url,
            relay_state=params.get("RelayState", [""])[0], is_signed=bool(signature),
        )  # fmt: skip
        self.requests.append(request)
        return request

    def _check_signature(self, query: str, kind: str, issuer: str) -> None:
        """The query's signature by the SP `issuer`, checked with `cryptography`."""
        params = parse_qs(query)
        # SAML Bindings §3.4.4.1: the signed octets are the query's own encoding.
        pairs = dict(part.split("=", 1) for part in query.split("&"))
        signed = "&".join(
            f"{name}={pairs[name]}" for name in (kind, "RelayState", "SigAlg") if name in pairs
        )
        assert unquote(pairs["SigAlg"]) == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
        certificate = x509.load_pem_x509_certificate(self._sp_certs[issuer])
        public_key = certificate.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        public_key.verify(
            base64.b64decode(params["Signature"][0]), signed.encode(), padding.PKCS1v15(),
            hashes.SHA256(),
        )  # fmt: skip

    def receive_logout(self, query: str) -> Logout:
        """Read a LogoutRequest (Redirect binding), checking its signature if it has one."""
        params = parse_qs(query)
        parsed = self.server.parse_logout_request(params["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        message = parsed.message
        if params.get("Signature"):
            self._check_signature(query, "SAMLRequest", message.issuer.text)
        logout = Logout(
            id=message.id, issuer=message.issuer.text, name_id=message.name_id.text,
            session_indexes=[index.text for index in message.session_index or []],
            relay_state=params.get("RelayState", [""])[0], is_signed="Signature" in params,
        )  # fmt: skip
        self.logouts.append(logout)
        return logout

    def answer_logout(self, query: str, *, sign: bool | None = None) -> str:
        """The SP's single-logout URL with a LogoutResponse (Redirect binding) to `query`."""
        self.receive_logout(query)
        params = parse_qs(query)
        request = self.server.parse_logout_request(params["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
        response = self.server.create_logout_response(
            request.message, [BINDING_HTTP_REDIRECT], sign=False
        )
        return self._location(
            str(response), response.destination, params.get("RelayState", [""])[0],
            response=True, sign=self.sign_logout_responses if sign is None else sign,
        )  # fmt: skip

    def logout_request(
        self, sp_entity_id: str, slo: str, *, name_id: str, session_index: str | None = None,
        sign: bool = True,
    ) -> str:  # fmt: skip
        """An IdP-initiated LogoutRequest to the SP: its single-logout URL (Redirect)."""
        _, request = self.server.create_logout_request(
            slo, sp_entity_id, name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=name_id),
            session_indexes=[session_index] if session_index else None, sign=False,
        )  # fmt: skip
        return self._location(str(request), slo, "idp-relay", response=False, sign=sign)

    def read_logout_answer(self, query: str) -> Any:
        """The SP's LogoutResponse to an IdP-initiated request (its signature checked)."""
        params = parse_qs(query)
        answer = self.server.parse_logout_request_response(
            params["SAMLResponse"][0], BINDING_HTTP_REDIRECT
        )
        if params.get("Signature"):
            self._check_signature(query, "SAMLResponse", answer.response.issuer.text)
        self.logout_answers.append(answer.response)
        return answer.response

    def _location(
        self, message: str, destination: str, relay_state: str, *, response: bool, sign: bool
    ) -> str:
        info = self.server.apply_binding(
            BINDING_HTTP_REDIRECT, message, destination, relay_state, response=response,
            sign=sign, sigalg="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        )  # fmt: skip
        return str(dict(info["headers"])["Location"])

    def answer(self, query: str) -> str:
        """The auto-post form answering the AuthnRequest in `query`."""
        request = self.receive(query)
        saml_response = self.response(
            in_response_to=request.id, sp_entity_id=request.issuer, acs=request.acs
        )
        return (
            f'<form method="post" action="{html.escape(request.acs)}">'
            f'<input type="hidden" name="SAMLResponse" value="{saml_response}"/>'
            f'<input type="hidden" name="RelayState" value="{html.escape(request.relay_state)}"/>'
            "</form>"
        )


def form_fields(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of an auto-post form."""
    action = re.search(r'<form[^>]*action="([^"]*)"', page)
    assert action is not None, page
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page))
    return html.unescape(action.group(1)), {k: html.unescape(v) for k, v in fields.items()}


def serve(idp: SamlIdp) -> Iterator[SamlIdp]:
    """Run `idp` over HTTP until the generator is closed."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/metadata":
                self._send(200, idp.metadata, "application/samlmetadata+xml")
            elif parts.path == "/sso":
                try:
                    self._send(200, idp.answer(parts.query), "text/html")
                except Exception as exc:  # the test reads what went wrong
                    self._send(400, repr(exc), "text/plain")
            elif parts.path == "/slo":
                try:
                    if "SAMLResponse=" in parts.query:
                        idp.read_logout_answer(parts.query)
                        self._send(200, "signed out", "text/plain")
                    else:
                        self._redirect(idp.answer_logout(parts.query))
                except Exception as exc:  # the test reads what went wrong
                    self._send(400, repr(exc), "text/plain")
            else:
                self._send(404, "not found", "text/plain")

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _send(self, status: int, body: str, content_type: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", int(urlsplit(idp.url).port or 0)), Handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield idp
    finally:
        http.shutdown()
        http.server_close()
