"""The `lang` parameter of /oauth2/authorize and /login: the pages speak the language (and say
so in `<html lang>`), carry it from page to page, and fall back to English for a language
Cognate has no texts for."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from tests.conftest import RunningServer
from tests.oauth.flows import CALLBACK, CodeClient, code_client, login_form


@pytest.fixture(scope="module")
def web(idp_client: Any) -> CodeClient:
    return code_client(idp_client)


def _query(web: CodeClient, **extra: str) -> str:
    params = {"response_type": "code", "client_id": web.client_id, "redirect_uri": CALLBACK,
              "scope": "openid", **extra}  # fmt: skip
    return urlencode(params)


def _html_lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)">', page)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    ("lang", "tag", "heading", "forgot"),
    [
        ("de", "de", "Anmelden", "Passwort vergessen?"),
        ("fr-CA", "fr", "Se connecter", "Mot de passe oublié ?"),
        ("es", "es", "Iniciar sesión", "¿Olvidó su contraseña?"),
        ("ja", "ja", "サインイン", "パスワードをお忘れですか?"),
        ("xx", "en", "Sign in", "Forgot your password?"),
    ],
)
def test_authorize_lang_reaches_the_login_page(
    server: RunningServer, web: CodeClient, lang: str, tag: str, heading: str, forgot: str
) -> None:
    page = httpx.get(
        f"{server.url}/oauth2/authorize?{_query(web, lang=lang)}", follow_redirects=True
    )
    assert page.status_code == 200, page.text
    assert _html_lang(page.text) == tag
    assert f'<h1 id="heading">{heading}</h1>' in page.text
    assert forgot in page.text


def test_login_without_lang_is_english(server: RunningServer, web: CodeClient) -> None:
    page = httpx.get(f"{server.url}/login?{_query(web)}")
    assert _html_lang(page.text) == "en"
    assert "Forgot your password?" in page.text


def test_language_follows_the_sign_in(server: RunningServer, web: CodeClient) -> None:
    with httpx.Client() as http:
        page = http.get(f"{server.url}/login?{_query(web, lang='de')}")
        action, fields = login_form(page.text)
        # The language travels in the sealed request: the answer to the form is German too.
        fields.update(username=web.username, password="Wrong-password-1")
        refused = http.post(action, data=fields)
        assert _html_lang(refused.text) == "de"
        assert "Falscher Benutzername oder falsches Passwort." in refused.text
        forgot = re.search(r'href="([^"]+/forgotPassword[^"]*)"', page.text)
        assert forgot is not None
        reset = http.get(forgot.group(1).replace("&amp;", "&"))
        assert _html_lang(reset.text) == "de"
        assert "Passwort zurücksetzen" in reset.text
