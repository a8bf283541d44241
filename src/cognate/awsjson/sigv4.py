"""Verification of AWS Signature Version 4 on incoming AWS JSON requests.

Follows the AWS General Reference / IAM user guide pages "Elements of an AWS API request
signature", "Create a canonical request for Signature Version 4", "Create a string to sign",
"Calculate the signature" and "Authenticating Requests: Using the Authorization Header"
(header-based signing only; presigned query-string signing is not part of the Cognito APIs).
Error classes and message texts are those AWS answers for the same faults.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, unquote, unquote_to_bytes

from cognate.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

_ALGORITHM = "AWS4-HMAC-SHA256"
_TERMINATOR = "aws4_request"
_MAX_SKEW = timedelta(minutes=5)
_BASIC_FORMAT = "%Y%m%dT%H%M%SZ"
_BASIC_DATE = re.compile(r"\d{8}T\d{6}Z", re.ASCII)
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Authorization:
    """The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header."""

    key_id: str
    scope_date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str


def verify_signature(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Mapping[str, str],
    region: str,
    service: str,
    now: datetime,
) -> str:
    """Return the access key id that signed this request, or raise the error AWS would answer.

    `path` may be the raw (percent-encoded) or the decoded request path; `query` is the raw
    query string; `headers` is any mapping, case-insensitive or with lowercase keys. `region`
    is the server's region: a credential scoped to any non-empty region is accepted, since
    the signature covers the scope. Raises IncompleteSignatureException for a malformed or
    partial Authorization header, UnrecognizedClientException for an unknown key id, and
    InvalidSignatureException for a wrong scope, a clock skew over 5 minutes or a signature
    that does not match ("Signature Version 4 signing process").
    """
    del region  # any region is accepted; the signature binds the one the client chose
    header_values = _collect_headers(headers.items())
    authorization = ",".join(header_values.get("authorization", []))
    if not authorization:
        raise MissingAuthenticationTokenException("Missing Authentication Token")
    parts = _parse_authorization(authorization, has_date=_has_date(header_values))
    request_at, amz_date = _request_time(header_values)
    _check_scope(parts, amz_date=amz_date, service=service)
    if "host" not in parts.signed_headers:
        raise InvalidSignatureException(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    secret = credentials.get(parts.key_id)
    if secret is None:
        raise UnrecognizedClientException("The security token included in the request is invalid.")
    _check_clock(request_at, amz_date=amz_date, now=now)
    canonical = _canonical_request(
        method=method, path=path, query=query, headers=header_values, body=body, parts=parts
    )
    scope = f"{parts.scope_date}/{parts.region}/{parts.service}/{parts.terminator}"
    string_to_sign = "\n".join(
        (_ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest())
    )
    key = _signing_key(secret, parts.scope_date, parts.region, parts.service)
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    # Constant time, so that response timing reveals nothing about the expected signature.
    if not hmac.compare_digest(expected.encode(), parts.signature.encode("utf-8", "replace")):
        raise InvalidSignatureException(_MISMATCH)
    return parts.key_id


def _collect_headers(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Group header values by lowercase name, keeping repeated headers in arrival order."""
    grouped: dict[str, list[str]] = {}
    for name, value in items:
        grouped.setdefault(name.lower(), []).append(value)
    return grouped


def _has_date(headers: Mapping[str, list[str]]) -> bool:
    return "x-amz-date" in headers or "date" in headers


def _parse_authorization(value: str, *, has_date: bool) -> _Authorization:
    """Split the header into its parameters ("Authenticating Requests: Using the Authorization
    Header"); every missing parameter is named in one IncompleteSignatureException, as AWS does.
    """
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != _ALGORITHM:
        raise IncompleteSignatureException(
            f"Unsupported AWS 'algorithm': '{algorithm}'. Only '{_ALGORITHM}' is supported."
        )
    params: dict[str, str] = {}
    for item in filter(None, (item.strip() for item in rest.split(","))):
        name, equals, param = item.partition("=")
        if not equals or name in params:
            raise IncompleteSignatureException(
                f"Authorization header requires each component to be of the form "
                f"'name=value', and no component twice; got '{item}'."
            )
        params[name] = param
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if not has_date:
        problems.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if problems:
        raise IncompleteSignatureException(" ".join(problems))
    credential = params["Credential"].split("/")
    if len(credential) != 5:
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{params['Credential']}'"
        )
    key_id, scope_date, region, service, terminator = credential
    return _Authorization(
        key_id=key_id,
        scope_date=scope_date,
        region=region,
        service=service,
        terminator=terminator,
        signed_headers=tuple(name.lower() for name in params["SignedHeaders"].split(";")),
        signature=params["Signature"],
    )


def _parse_basic(value: str) -> datetime:
    """`value` (which matched _BASIC_DATE) as an aware UTC datetime.

    Same result and same ValueError for impossible dates as strptime with _BASIC_FORMAT,
    without its cost (about 10 µs, on every signed request).
    """
    return datetime(
        int(value[0:4]), int(value[4:6]), int(value[6:8]),
        int(value[9:11]), int(value[11:13]), int(value[13:15]), tzinfo=UTC,
    )  # fmt: skip


def _request_time(headers: Mapping[str, list[str]]) -> tuple[datetime, str]:
    """Return the signing time and its ISO 8601 basic form, from X-Amz-Date or else Date.

    X-Amz-Date wins when both are present ("Elements of an AWS API request signature").
    """
    if "x-amz-date" in headers:
        value = headers["x-amz-date"][0].strip()
        if not _BASIC_DATE.fullmatch(value):
            raise IncompleteSignatureException(
                f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
                "See http://en.wikipedia.org/wiki/ISO_8601"
            )
        try:
            parsed = _parse_basic(value)
        except ValueError as exc:
            raise IncompleteSignatureException(
                f"Date must be in ISO-8601 'basic format'. Got '{value}'."
            ) from exc
        return parsed, value
    value = headers["date"][0].strip()
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise IncompleteSignatureException(
            f"Date header is not a valid HTTP date: '{value}'."
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return parsed, parsed.strftime(_BASIC_FORMAT)


def _check_scope(parts: _Authorization, *, amz_date: str, service: str) -> None:
    """Require the credential scope `date/region/service/aws4_request` to fit this request."""
    if parts.scope_date != amz_date[:8]:
        raise InvalidSignatureException(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{parts.scope_date}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    if not parts.region:
        raise InvalidSignatureException("Credential should be scoped to a valid region. ")
    if parts.service != service:
        raise InvalidSignatureException(
            f"Credential should be scoped to correct service: '{service}'. "
        )
    if parts.terminator != _TERMINATOR:
        raise InvalidSignatureException(
            f"Credential should be scoped with a valid terminator: '{_TERMINATOR}', "
            f"not '{parts.terminator}'. "
        )


def _check_clock(request_at: datetime, *, amz_date: str, now: datetime) -> None:
    """Reject a signing time more than 5 minutes from `now`, in AWS's words.

    A skew of exactly 5 minutes is still accepted.
    """
    if now - _MAX_SKEW <= request_at <= now + _MAX_SKEW:
        return
    current = now.astimezone(UTC).strftime(_BASIC_FORMAT)
    if request_at < now - _MAX_SKEW:
        limit = (now - _MAX_SKEW).astimezone(UTC).strftime(_BASIC_FORMAT)
        raise InvalidSignatureException(
            f"Signature expired: {amz_date} is now earlier than {limit} ({current} - 5 min.)"
        )
    if request_at > now + _MAX_SKEW:
        limit = (now + _MAX_SKEW).astimezone(UTC).strftime(_BASIC_FORMAT)
        raise InvalidSignatureException(
            f"Signature not yet current: {amz_date} is still later than {limit} "
            f"({current} + 5 min.)"
        )


def _canonical_request(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, list[str]],
    body: bytes,
    parts: _Authorization,
) -> str:
    """Build the canonical request ("Create a canonical request for Signature Version 4")."""
    names = sorted(set(parts.signed_headers))
    return "\n".join(
        (
            method.upper(),
            _canonical_uri(path),
            _canonical_query(query),
            _canonical_headers(headers, names),
            ";".join(names),
            _payload_hash(headers, names, body),
        )
    )


def _canonical_uri(path: str) -> str:
    """Encode the path twice, as AWS does for every service but S3.

    The client's URL path is already percent-encoded once and the canonical URI encodes it
    again. Decoding first makes a raw path and ASGI's decoded path (where Starlette re-escapes
    `?`, `#` and `\\`) give the same result; `/` is never encoded.
    """
    encoded = quote(unquote(path), safe="/~")
    return quote(_remove_dot_segments(encoded), safe="/~")


def _remove_dot_segments(path: str) -> str:
    """Normalize the path as AWS SDKs do (RFC 3986 section 5.2.4, empty segments dropped)."""
    if not path:
        return "/"
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    leading = "/" if path.startswith("/") else ""
    trailing = "/" if path.endswith("/") and kept else ""
    return leading + "/".join(kept) + trailing


def _canonical_query(query: str) -> str:
    """Sort the parameters by encoded name, then value, each RFC 3986-encoded.

    `+` is read as a space: botocore puts form-encoded parameters on the wire but signs them
    with `%20`. Decoding to bytes keeps values that are not UTF-8 exact.
    """
    pairs: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        pairs.append((_rfc3986(name), _rfc3986(value)))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _rfc3986(component: str) -> str:
    return quote(unquote_to_bytes(component.replace("+", " ")), safe="-_.~")


def _canonical_headers(headers: Mapping[str, list[str]], names: Iterable[str]) -> str:
    """One `name:value\\n` line per signed header; spaces are trimmed and runs collapsed.

    A signed header absent from the request cannot have been signed by this client.
    """
    lines: list[str] = []
    for name in names:
        values = headers.get(name)
        if values is None:
            raise InvalidSignatureException(_MISMATCH)
        lines.append(f"{name}:{','.join(' '.join(value.split()) for value in values)}\n")
    return "".join(lines)


def _payload_hash(headers: Mapping[str, list[str]], names: Collection[str], body: bytes) -> str:
    """Hex SHA-256 of the body; a signed x-amz-content-sha256 must state that same hash."""
    actual = hashlib.sha256(body).hexdigest()
    if "x-amz-content-sha256" in names:
        stated = headers["x-amz-content-sha256"][0].strip().lower()
        if not hmac.compare_digest(stated.encode("utf-8", "replace"), actual.encode()):
            raise InvalidSignatureException(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
            )
    return actual


@functools.lru_cache(maxsize=128)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """Derive the signing key ("Calculate the signature for AWS Signature Version 4").

    Cached because every signed request of a day, region and service reuses it; the four
    HMACs are most of the verification's cost.
    """
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, _TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
