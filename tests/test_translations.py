"""The English catalog is complete, and the set-up compiles it."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

CATALOG = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_every_string_has_an_english_translation() -> None:
    text = CATALOG.read_text(encoding="utf-8")
    entries = text.split("\n\n")[1:]  # the first entry is the header
    untranslated = [
        entry for entry in entries if re.search(r'^msgstr(\[\d\])? ""\Z', entry.strip(), re.MULTILINE) and entry.strip()
    ]
    assert "#, fuzzy" not in "\n\n".join(entries)
    assert untranslated == []


def test_the_compiled_catalog_is_used() -> None:
    with translation.override("en"):
        assert translation.gettext("我的工作") == "My work"
    with translation.override("zh-hans"):
        assert translation.gettext("我的工作") == "我的工作"
