"""Every text the bot says, one catalogue per language (Russian by default).

A catalogue is a package (`ru/`, `en/`) with one module per flow; keys are unique across modules
(a meta-test checks both catalogues have the same keys and placeholders).
"""

from __future__ import annotations

from typing import Any

from aisha.texts import en, ru

CATALOGUES: dict[str, dict[str, str]] = {"ru": ru.TEXTS, "en": en.TEXTS}
DEFAULT_LANGUAGE = "ru"


def text(language: str, key: str, **values: Any) -> str:
    catalogue = CATALOGUES.get(language, CATALOGUES[DEFAULT_LANGUAGE])
    template = catalogue.get(key) or CATALOGUES[DEFAULT_LANGUAGE][key]
    return template.format(**values)


__all__ = ["CATALOGUES", "DEFAULT_LANGUAGE", "text"]
