"""Every string a person can see is translated, in both catalogues, placeholders intact."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from backend.web import i18n
from tests.support import PROJECT_ROOT

KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def source_messages() -> set[str]:
    found = set()
    for directory, method_map, options in [
        ("backend", [("**.py", "python")], {}),
        ("frontend/templates", [("**.html", "jinja2")], {"**.html": {"extensions": "jinja2.ext.i18n"}}),
    ]:
        for _, _, message, _, _ in extract_from_dir(
            PROJECT_ROOT / directory, method_map, options_map=options, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def catalogue(language: str):
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def translated(message) -> bool:
    """A plural entry is a tuple of forms: every form must be there."""
    forms = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(forms)


def test_source_has_messages():
    assert len(source_messages()) > 100


def test_chinese_catalogue_translates_every_message():
    catalog = catalogue("zh_CN")
    untranslated = sorted(m for m in source_messages() if not (catalog.get(m) and translated(catalog.get(m))))
    assert untranslated == []
    fuzzy = sorted(message.id for message in catalog if message.id and message.fuzzy)
    assert fuzzy == []


def test_english_catalogue_translates_every_message():
    catalog = catalogue("en")
    untranslated = sorted(m for m in source_messages() if not (catalog.get(m) and translated(catalog.get(m))))
    assert untranslated == []
    fuzzy = sorted(message.id for message in catalog if message.id and message.fuzzy)
    assert fuzzy == []


def test_placeholders_survive_translation():
    for language in i18n.LANGUAGES:
        problems = [(message.id, errors) for message, errors in catalogue(language).check() if errors]
        assert problems == []


def test_language_negotiation():
    assert i18n.negotiate(None, None) == "zh_CN"
    assert i18n.negotiate(None, "en-GB,en;q=0.9") == "en"
    assert i18n.negotiate(None, "fr-FR, en;q=0.5") == "en"
    assert i18n.negotiate(None, "zh-TW,zh;q=0.9,en;q=0.8") == "zh_CN"
    assert i18n.negotiate(None, "en;q=0, de") == "zh_CN"
    assert i18n.negotiate("en", "zh-CN") == "en"
    assert i18n.negotiate("xx", "en") == "en"
    assert i18n.negotiate(None, "en;q=abc, zh") == "zh_CN"
