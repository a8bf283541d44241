"""Branding over the wire: UI customization (CSS and logo), managed-login branding and terms
with boto3, and the hosted login page carrying them, fetched with httpx."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.conftest import RunningServer
from tests.oauth.flows import CALLBACK, CodeClient, code_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
CSS = (
    ".submitButton-customizable { background-color: #ff6600; "
    "font-family: 'Open Sans', sans-serif; }"
)


@pytest.fixture
def app(idp_client: Any) -> CodeClient:
    """A pool with an OAuth code client."""
    return code_client(idp_client)


def _login_page(server: RunningServer, app: CodeClient) -> httpx.Response:
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": CALLBACK,
              "scope": "openid"}  # fmt: skip
    answer = httpx.get(f"{server.url}/login?{urlencode(params)}")
    assert answer.status_code == 200, answer.text
    return answer


def test_ui_customization_round_trip(idp_client: Any, app: CodeClient) -> None:
    empty = idp_client.get_ui_customization(UserPoolId=app.pool_id)["UICustomization"]
    assert empty == {"UserPoolId": app.pool_id, "ClientId": "ALL"}
    pool_wide = idp_client.set_ui_customization(UserPoolId=app.pool_id, CSS=CSS, ImageFile=PNG)
    item = pool_wide["UICustomization"]
    assert item["ClientId"] == "ALL" and item["CSS"] == CSS and item["CSSVersion"]
    assert item["ImageUrl"].endswith(f"/ui/{app.pool_id}/ALL/logo")
    assert item["CreationDate"] <= item["LastModifiedDate"]
    # A client without its own customization gets the pool's.
    inherited = idp_client.get_ui_customization(UserPoolId=app.pool_id, ClientId=app.client_id)
    assert inherited["UICustomization"]["ClientId"] == "ALL"
    own_css = ".banner-customizable { background-color: rgb(10, 20, 30); }"
    idp_client.set_ui_customization(UserPoolId=app.pool_id, ClientId=app.client_id, CSS=own_css)
    own = idp_client.get_ui_customization(UserPoolId=app.pool_id, ClientId=app.client_id)
    assert own["UICustomization"]["ClientId"] == app.client_id
    assert own["UICustomization"]["CSS"] == own_css
    assert "ImageUrl" not in own["UICustomization"]


@pytest.mark.parametrize(
    "css",
    [
        ".submitButton-customizable { background: url(https://evil.example/x.png); }",
        "@import url(https://evil.example/x.css);",
        ".submitButton-customizable { width: expression(alert(1)); }",
        "body { color: red; }",
        ".submitButton-customizable { position: fixed; }",
        ".label-customizable { color: red; } </style><script>alert(1)</script>",
        ".label-customizable { color: \\72 ed; }",
    ],
)
def test_bad_css_is_refused(idp_client: Any, pool_id: str, css: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        idp_client.set_ui_customization(UserPoolId=pool_id, CSS=css)


def test_bad_images_and_unknown_resources(idp_client: Any, pool_id: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="PNG or JPEG"):
        idp_client.set_ui_customization(UserPoolId=pool_id, ImageFile=b"GIF89a" + b"\x00" * 10)
    with pytest.raises(idp_client.exceptions.InvalidParameterException, match="100 KB"):
        idp_client.set_ui_customization(UserPoolId=pool_id, ImageFile=PNG + b"\x00" * 102_400)
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.set_ui_customization(UserPoolId=pool_id, ClientId="nosuchclient", CSS="")
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.get_ui_customization(UserPoolId="us-east-1_nothere1")


def test_login_page_carries_css_logo_and_terms(
    server: RunningServer, idp_client: Any, app: CodeClient
) -> None:
    idp_client.set_ui_customization(
        UserPoolId=app.pool_id, ClientId=app.client_id, CSS=CSS, ImageFile=JPEG
    )
    idp_client.create_terms(
        UserPoolId=app.pool_id, ClientId=app.client_id, TermsName="terms-of-use",
        TermsSource="LINK", Enforcement="NONE",
        Links={"cognito:default": "https://example.com/terms"},
    )  # fmt: skip
    idp_client.create_terms(
        UserPoolId=app.pool_id, ClientId=app.client_id, TermsName="privacy-policy",
        TermsSource="LINK", Enforcement="NONE",
        Links={"cognito:english": "https://example.com/privacy"},
    )  # fmt: skip
    page = _login_page(server, app)
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert (
        f'<style nonce="{nonce}">.submitButton-customizable {{ background-color: #ff6600; '
        "font-family: 'Open Sans', sans-serif; }</style>" in page.text
    )
    assert 'class="submitButton-customizable"' in page.text
    assert 'class="label-customizable"' in page.text
    assert 'href="https://example.com/terms"' in page.text
    assert 'href="https://example.com/privacy"' in page.text
    logo = page.text.split('class="logo-customizable" src="')[1].split('"')[0]
    assert logo.startswith(f"/ui/{app.pool_id}/{app.client_id}/logo")
    image = httpx.get(server.url + logo.replace("&amp;", "&"))
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content == JPEG
    image_url = idp_client.get_ui_customization(UserPoolId=app.pool_id, ClientId=app.client_id)[
        "UICustomization"
    ]["ImageUrl"]
    assert httpx.get(image_url).content == JPEG
    # The sign-up page shows the terms too, and carries the CSS.
    signup_url = page.text.split('">Create an account</a>')[0].rsplit('href="', 1)[1]
    signup = httpx.get(signup_url.replace("&amp;", "&"))
    assert signup.status_code == 200
    assert 'href="https://example.com/terms"' in signup.text
    assert "#ff6600" in signup.text


def test_plain_login_page_and_missing_logo(server: RunningServer, app: CodeClient) -> None:
    page = _login_page(server, app)
    assert "logo-customizable" not in page.text.split("</style>", 1)[1]
    assert page.text.count("<style") == 1
    missing = httpx.get(f"{server.url}/ui/{app.pool_id}/{app.client_id}/logo")
    assert missing.status_code == 404


def _branding(idp_client: Any, app: CodeClient, **options: Any) -> dict[str, Any]:
    created = idp_client.create_managed_login_branding(
        UserPoolId=app.pool_id, ClientId=app.client_id, **options
    )
    result: dict[str, Any] = created["ManagedLoginBranding"]
    return result


def test_managed_login_branding_round_trip(idp_client: Any, app: CodeClient) -> None:
    settings = {"components": {"pageBackground": {"lightMode": {"color": "ffffffff"}}}}
    assets = [{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": PNG}]
    created = _branding(idp_client, app, Settings=settings, Assets=assets)
    branding_id = created["ManagedLoginBrandingId"]
    uuid.UUID(branding_id)
    assert created["Settings"] == settings
    assert created["Assets"] == assets
    assert created["UseCognitoProvidedValues"] is False
    described = idp_client.describe_managed_login_branding(
        UserPoolId=app.pool_id, ManagedLoginBrandingId=branding_id, ReturnMergedResources=True
    )["ManagedLoginBranding"]
    assert described == created
    by_client = idp_client.describe_managed_login_branding_by_client(
        UserPoolId=app.pool_id, ClientId=app.client_id
    )["ManagedLoginBranding"]
    assert by_client["ManagedLoginBrandingId"] == branding_id
    with pytest.raises(idp_client.exceptions.ManagedLoginBrandingExistsException):
        _branding(idp_client, app, UseCognitoProvidedValues=True)
    updated = idp_client.update_managed_login_branding(
        UserPoolId=app.pool_id, ManagedLoginBrandingId=branding_id, UseCognitoProvidedValues=True
    )["ManagedLoginBranding"]
    assert updated["UseCognitoProvidedValues"] is True
    assert "Settings" not in updated and updated["Assets"] == []
    idp_client.delete_managed_login_branding(
        UserPoolId=app.pool_id, ManagedLoginBrandingId=branding_id
    )
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.describe_managed_login_branding(
            UserPoolId=app.pool_id, ManagedLoginBrandingId=branding_id
        )
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.describe_managed_login_branding_by_client(
            UserPoolId=app.pool_id, ClientId=app.client_id
        )
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.delete_managed_login_branding(
            UserPoolId=app.pool_id, ManagedLoginBrandingId=branding_id
        )


def test_managed_login_branding_validation(idp_client: Any, app: CodeClient) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        _branding(idp_client, app, UseCognitoProvidedValues=True, Settings={"a": 1})
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        asset = {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG"}
        _branding(idp_client, app, Assets=[asset])
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.create_managed_login_branding(UserPoolId=app.pool_id, ClientId="nosuchclient")


def _terms(idp_client: Any, app: CodeClient, name: str, url: str) -> dict[str, Any]:
    result: dict[str, Any] = idp_client.create_terms(
        UserPoolId=app.pool_id, ClientId=app.client_id, TermsName=name, TermsSource="LINK",
        Enforcement="NONE", Links={"cognito:default": url},
    )["Terms"]  # fmt: skip
    return result


def test_terms_round_trip(idp_client: Any, app: CodeClient) -> None:
    created = _terms(idp_client, app, "terms-of-use", "https://example.com/terms")
    assert created["ClientId"] == app.client_id and created["TermsSource"] == "LINK"
    assert created["Links"] == {"cognito:default": "https://example.com/terms"}
    with pytest.raises(idp_client.exceptions.TermsExistsException):
        _terms(idp_client, app, "terms-of-use", "https://example.com/other")
    privacy = _terms(idp_client, app, "privacy-policy", "http://localhost:3000/privacy")
    described = idp_client.describe_terms(UserPoolId=app.pool_id, TermsId=created["TermsId"])
    assert described["Terms"] == created
    updated = idp_client.update_terms(
        UserPoolId=app.pool_id, TermsId=created["TermsId"],
        Links={"cognito:default": "https://example.com/v2", "cognito:french": "https://example.fr/"},
    )["Terms"]  # fmt: skip
    assert updated["Links"]["cognito:french"] == "https://example.fr/"
    assert updated["TermsName"] == "terms-of-use"
    with pytest.raises(idp_client.exceptions.TermsExistsException):
        idp_client.update_terms(
            UserPoolId=app.pool_id, TermsId=privacy["TermsId"], TermsName="terms-of-use"
        )
    first = idp_client.list_terms(UserPoolId=app.pool_id, MaxResults=1)
    assert len(first["Terms"]) == 1 and "NextToken" in first
    rest = idp_client.list_terms(UserPoolId=app.pool_id, NextToken=first["NextToken"])
    listed = {item["TermsId"] for item in first["Terms"] + rest["Terms"]}
    assert listed == {created["TermsId"], privacy["TermsId"]}
    assert "NextToken" not in rest
    idp_client.delete_terms(UserPoolId=app.pool_id, TermsId=created["TermsId"])
    with pytest.raises(idp_client.exceptions.ResourceNotFoundException):
        idp_client.describe_terms(UserPoolId=app.pool_id, TermsId=created["TermsId"])


@pytest.mark.parametrize(
    "url", ["http://example.com/terms", "javascript:alert(1)", "ftp://example.com/x", "https://"]
)
def test_terms_links_must_be_https(idp_client: Any, app: CodeClient, url: str) -> None:
    with pytest.raises(idp_client.exceptions.InvalidParameterException):
        _terms(idp_client, app, "terms-of-use", url)
