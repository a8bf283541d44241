"""The hosted pages' translations: language choice, and every template text translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cognate.hosted_ui import translations

TEMPLATES = Path(translations.__file__).parent / "templates"
# A literal text given to t() in a template: t("…") or t('…').
_LITERAL = re.compile(r"""\bt\(\s*(?:"([^"]+)"|'([^']+)')""")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("de", "de"), ("DE", "de"), ("fr-CA", "fr"), ("es_MX", "es"), ("ja", "ja"),
        ("en", "en"), ("it", "en"), ("xx", "en"), ("", "en"), (None, "en"), ("d" * 99, "en"),
    ],
)  # fmt: skip
def test_page_language(lang: str | None, expected: str) -> None:
    assert translations.page_language(lang) == expected


def test_translator_fills_placeholders_and_falls_back() -> None:
    german = translations.translator("de")
    assert german("Sign in") == "Anmelden"
    assert german("We sent a code to {destination}.", destination="a***@e") == (
        "Wir haben einen Code an a***@e gesendet."
    )
    assert german("A text nobody translated.") == "A text nobody translated."
    english = translations.translator("en")
    assert english("We sent a code to {destination}.", destination="x") == "We sent a code to x."


def test_every_template_text_is_translated() -> None:
    texts = {
        first or second
        for template in TEMPLATES.glob("*.html")
        for first, second in _LITERAL.findall(template.read_text())
    }
    assert "Forgot your password?" in texts
    for language, dictionary in translations.TRANSLATIONS.items():
        missing = sorted(texts - dictionary.keys())
        assert not missing, f"{language} lacks {missing}"
        for english, translated in dictionary.items():
            # Same placeholders on both sides, or filling them would fail.
            assert re.findall(r"\{\w+\}", english) == re.findall(r"\{\w+\}", translated)
