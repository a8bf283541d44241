"""SigV4 verification against requests signed by botocore, the signer every AWS SDK client uses."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import unquote, urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import Headers

from cognate.awsjson.sigv4 import verify_signature
from cognate.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

ENDPOINT = "http://127.0.0.1:9229/"
KEY_ID = "AKIDCOGNATE"
SECRET = "cognate/Secret+Key"
CREDENTIALS = {KEY_ID: SECRET, "AKIDOTHER": "another secret"}
SIGNED_AT = datetime(2026, 11, 28, 5, 15, tzinfo=UTC)
BODY = json.dumps({"UserPoolId": "us-east-1_abc", "Username": "alice"}).encode()
MISMATCH = re.escape(
    "The request signature we calculated does not match the signature you provided."
)


@dataclass(frozen=True)
class Signed:
    """One botocore-signed request, as the ASGI edge hands it to verify_signature."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes

    def verify(
        self,
        *,
        after: timedelta = timedelta(0),
        service: str = "cognito-idp",
        credentials: Mapping[str, str] = CREDENTIALS,
    ) -> str:
        return verify_signature(
            method=self.method,
            path=self.path,
            query=self.query,
            headers=self.headers,
            body=self.body,
            credentials=credentials,
            region="us-east-1",
            service=service,
            now=SIGNED_AT + after,
        )

    def with_header(self, name: str, value: str) -> Signed:
        return replace(self, headers={**self.headers, name: value})

    def with_authorization(self, old: str, new: str) -> Signed:
        authorization = self.headers["authorization"]
        assert old in authorization
        return self.with_header("authorization", authorization.replace(old, new))


def sign(
    *,
    service: str = "cognito-idp",
    region: str = "us-east-1",
    url: str = ENDPOINT,
    params: Mapping[str, str] | None = None,
    body: bytes = BODY,
    headers: Mapping[str, str] | None = None,
    key_id: str = KEY_ID,
    secret: str = SECRET,
) -> Signed:
    """Sign a POST like an SDK client does at SIGNED_AT and return what the server receives."""
    request = AWSRequest(
        method="POST",
        url=url,
        params=dict(params or {}),
        data=body,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminGetUser",
            "Content-Type": "application/x-amz-json-1.1",
            **(headers or {}),
        },
    )
    with mock.patch("botocore.auth.get_current_datetime", return_value=SIGNED_AT):
        SigV4Auth(Credentials(key_id, secret), service, region).add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    # The HTTP client adds Host; botocore signs the value it will send.
    received = {name.lower(): value for name, value in prepared.headers.items()}
    received["host"] = parts.netloc
    return Signed("POST", parts.path, parts.query, received, prepared.body or b"")


@pytest.mark.parametrize("service", ["cognito-idp", "cognito-identity"])
@pytest.mark.parametrize("region", ["us-east-1", "eu-west-3"])
def test_botocore_signed_request_is_accepted(service, region):
    assert sign(service=service, region=region).verify(service=service) == KEY_ID


def test_second_key_pair_is_accepted():
    signed = sign(key_id="AKIDOTHER", secret="another secret")
    assert signed.verify() == "AKIDOTHER"


def test_starlette_headers_and_mixed_case_names_are_accepted():
    signed = sign()
    starlette = Headers(raw=[(k.encode(), v.encode()) for k, v in signed.headers.items()])
    assert replace(signed, headers=starlette).verify() == KEY_ID
    mixed = {name.title(): value for name, value in signed.headers.items()}
    assert replace(signed, headers=mixed).verify() == KEY_ID


def test_header_whitespace_is_canonicalized():
    signed = sign(headers={"X-Custom": "a   b"})
    assert "x-custom" in signed.headers["authorization"]
    assert signed.with_header("x-custom", "  a b ").verify() == KEY_ID


def test_date_header_instead_of_x_amz_date():
    signed = sign(headers={"Date": "anything"})
    assert "x-amz-date" not in signed.headers
    assert signed.headers["date"] == "Sat, 28 Nov 2026 05:15:00 -0000"
    assert signed.verify() == KEY_ID
    with pytest.raises(InvalidSignatureException, match="Signature expired: 20261128T051500Z"):
        signed.verify(after=timedelta(minutes=6))


def test_aws_documentation_example_verifies():
    # "Create a canonical request for Signature Version 4" worked example (IAM ListUsers).
    headers = {
        "host": "iam.amazonaws.com",
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        "x-amz-date": "20150830T123600Z",
        "authorization": "AWS4-HMAC-SHA256 "
        "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    }
    key_id = verify_signature(
        method="GET",
        path="/",
        query="Action=ListUsers&Version=2010-05-08",
        headers=headers,
        body=b"",
        credentials={"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
        region="us-east-1",
        service="iam",
        now=datetime(2015, 8, 30, 12, 36, tzinfo=UTC),
    )
    assert key_id == "AKIDEXAMPLE"


def test_wrong_secret_is_rejected():
    with pytest.raises(InvalidSignatureException, match=MISMATCH):
        sign(secret="not the secret").verify()


def test_altered_body_is_rejected():
    signed = sign()
    with pytest.raises(InvalidSignatureException, match=MISMATCH):
        replace(signed, body=signed.body.replace(b"alice", b"admin")).verify()


def test_altered_signed_header_is_rejected():
    signed = sign().with_header("x-amz-target", "AWSCognitoIdentityProviderService.AdminDeleteUser")
    with pytest.raises(InvalidSignatureException, match=MISMATCH):
        signed.verify()


def test_unsigned_header_may_change():
    signed = sign()
    assert "content-length" not in signed.headers["authorization"]
    assert signed.with_header("content-length", "999").verify() == KEY_ID


def test_dropped_signed_header_is_rejected():
    signed = sign()
    headers = {k: v for k, v in signed.headers.items() if k != "x-amz-target"}
    with pytest.raises(InvalidSignatureException, match=MISMATCH):
        replace(signed, headers=headers).verify()


def test_altered_method_or_path_is_rejected():
    signed = sign()
    with pytest.raises(InvalidSignatureException, match=MISMATCH):
        replace(signed, method="PUT").verify()
    with pytest.raises(InvalidSignatureException, match=MISMATCH):
        replace(signed, path="/other").verify()


def test_stale_signature_is_rejected_with_aws_wording():
    with pytest.raises(InvalidSignatureException) as caught:
        sign().verify(after=timedelta(minutes=6))
    assert caught.value.message == (
        "Signature expired: 20261128T051500Z is now earlier than 20261128T051600Z "
        "(20261128T052100Z - 5 min.)"
    )


def test_future_signature_is_rejected_with_aws_wording():
    with pytest.raises(InvalidSignatureException) as caught:
        sign().verify(after=-timedelta(minutes=6))
    assert caught.value.message == (
        "Signature not yet current: 20261128T051500Z is still later than 20261128T051400Z "
        "(20261128T050900Z + 5 min.)"
    )


@pytest.mark.parametrize("seconds", [299, 300, -299, -300])
def test_skew_up_to_five_minutes_is_accepted(seconds):
    assert sign().verify(after=timedelta(seconds=seconds)) == KEY_ID


@pytest.mark.parametrize("seconds", [301, -301])
def test_skew_just_over_five_minutes_is_rejected(seconds):
    with pytest.raises(InvalidSignatureException, match=r"Signature (expired|not yet current)"):
        sign().verify(after=timedelta(seconds=seconds))


def test_unknown_key_id_is_rejected():
    with pytest.raises(
        UnrecognizedClientException,
        match=re.escape("The security token included in the request is invalid."),
    ):
        sign(key_id="AKIDUNKNOWN").verify()


def test_missing_authorization_is_rejected():
    signed = sign()
    headers = {k: v for k, v in signed.headers.items() if k != "authorization"}
    with pytest.raises(MissingAuthenticationTokenException):
        replace(signed, headers=headers).verify()


@pytest.mark.parametrize("parameter", ["Credential", "SignedHeaders", "Signature"])
def test_missing_authorization_parameter_is_incomplete(parameter):
    signed = sign()
    kept = [
        part
        for part in signed.headers["authorization"].removeprefix("AWS4-HMAC-SHA256 ").split(", ")
        if not part.startswith(f"{parameter}=")
    ]
    damaged = signed.with_header("authorization", "AWS4-HMAC-SHA256 " + ", ".join(kept))
    with pytest.raises(
        IncompleteSignatureException,
        match=re.escape(f"Authorization header requires '{parameter}' parameter."),
    ):
        damaged.verify()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("AWS4-HMAC-SHA256", "requires 'Credential' parameter"),
        ("AWS4-HMAC-SHA256 Credential", "form 'name=value'"),
        ("Bearer abc", "Unsupported AWS 'algorithm': 'Bearer'"),
        ("AWS4-HMAC-SHA512 Credential=a/b/c/d/e", "Unsupported AWS 'algorithm'"),
        (
            "AWS4-HMAC-SHA256 Credential=AKIDCOGNATE/20261128/us-east-1/cognito-idp, "
            "SignedHeaders=host, Signature=00",
            "Credential must have exactly 5 slash-delimited elements",
        ),
    ],
)
def test_malformed_authorization_is_incomplete(value, message):
    with pytest.raises(IncompleteSignatureException, match=message):
        sign().with_header("authorization", value).verify()


def test_missing_date_is_incomplete():
    signed = sign()
    headers = {k: v for k, v in signed.headers.items() if k != "x-amz-date"}
    with pytest.raises(IncompleteSignatureException, match="'X-Amz-Date' or a 'Date' header"):
        replace(signed, headers=headers).verify()


def test_malformed_x_amz_date_is_incomplete():
    with pytest.raises(IncompleteSignatureException, match="ISO-8601 'basic format'"):
        sign().with_header("x-amz-date", "2026-11-28T05:15:00Z").verify()


def test_wrong_service_in_scope_is_rejected():
    signed = sign(service="cognito-identity")
    with pytest.raises(
        InvalidSignatureException,
        match=re.escape("Credential should be scoped to correct service: 'cognito-idp'."),
    ):
        signed.verify(service="cognito-idp")


def test_empty_region_in_scope_is_rejected():
    signed = sign().with_authorization("/us-east-1/", "//")
    with pytest.raises(InvalidSignatureException, match="scoped to a valid region"):
        signed.verify()


def test_wrong_terminator_is_rejected():
    signed = sign().with_authorization("/aws4_request", "/aws4_requests")
    with pytest.raises(InvalidSignatureException, match="valid terminator: 'aws4_request'"):
        signed.verify()


def test_scope_date_other_than_request_date_is_rejected():
    signed = sign().with_authorization("/20261128/", "/20261127/")
    with pytest.raises(InvalidSignatureException, match="'20261127' != '20261128'"):
        signed.verify()


def test_unsigned_host_is_rejected():
    signed = sign().with_authorization("SignedHeaders=content-type;host;", "SignedHeaders=")
    with pytest.raises(InvalidSignatureException, match="'Host' or ':authority'"):
        signed.verify()


def test_matching_content_sha256_is_accepted():
    signed = sign(headers={"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})
    assert "x-amz-content-sha256" in signed.headers["authorization"]
    assert signed.verify() == KEY_ID


def test_content_sha256_mismatch_is_rejected():
    # botocore signs the stated hash, so only the body check can catch this.
    signed = sign(headers={"X-Amz-Content-SHA256": "0" * 64})
    with pytest.raises(InvalidSignatureException, match="x-amz-content-sha256"):
        signed.verify()


@pytest.mark.parametrize(
    "params",
    [
        {"a b": "c d"},
        {"plus+sign": "1+1=2", "slash/": "a/b?c#d"},
        {"unicode": "é漢字🙂", "tilde~": "x~y", "empty": ""},
        {"Z": "1", "a": "2", "A": "3", "_": "!*'()"},
    ],
)
def test_query_with_special_characters_is_accepted(params):
    signed = sign(params=params)
    assert signed.query
    assert signed.verify() == KEY_ID
    with pytest.raises(InvalidSignatureException, match=MISMATCH):
        replace(signed, query=signed.query + "&extra=1").verify()


def test_query_already_in_url_is_accepted():
    signed = sign(url=ENDPOINT + "?b=2&a=%C3%A9&a=0&flag")
    assert signed.verify() == KEY_ID


@pytest.mark.parametrize("path", ["/some%20path/x~y", "/a/./b/../c", "/trailing/", "/caf%C3%A9"])
def test_paths_verify_raw_or_decoded(path):
    signed = sign(url="http://127.0.0.1:9229" + path)
    assert signed.verify() == KEY_ID
    # botocore builds URLs already percent-encoded; ASGI servers hand over the decoded path.
    assert replace(signed, path=unquote(signed.path)).verify() == KEY_ID


query_params = st.dictionaries(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=8),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=12),
    max_size=4,
)


@given(body=st.binary(min_size=1, max_size=300), params=query_params, data=st.data())
def test_any_signed_request_verifies_and_any_body_byte_flip_fails(body, params, data):
    signed = sign(body=body, params=params)
    assert signed.verify() == KEY_ID
    index = data.draw(st.integers(0, len(body) - 1), label="index")
    flip = data.draw(st.integers(1, 255), label="xor")
    tampered = bytearray(body)
    tampered[index] ^= flip
    with pytest.raises(InvalidSignatureException, match=MISMATCH):
        replace(signed, body=bytes(tampered)).verify()
