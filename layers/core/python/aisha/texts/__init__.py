"""Every text the bot says, one catalogue per language (Russian by default).

A catalogue is a package (`ru/`, `en/`) with one module per flow; keys are unique across modules
(a meta-test checks both catalogues have the same keys and placeholders).
"""

from __future__ import annotations

from typing import Any

from aisha.models.enums import STYLE_PROMPTS
from aisha.texts import en, ru

CATALOGUES: dict[str, dict[str, str]] = {"ru": ru.TEXTS, "en": en.TEXTS}
DEFAULT_LANGUAGE = "ru"
_STYLE_OF_PROMPT = {prompt: name for name, prompt in STYLE_PROMPTS.items()}


def text(language: str, key: str, **values: Any) -> str:
    catalogue = CATALOGUES.get(language, CATALOGUES[DEFAULT_LANGUAGE])
    template = catalogue.get(key) or CATALOGUES[DEFAULT_LANGUAGE][key]
    return template.format(**values)


def shown_prompt(language: str, prompt: str) -> str:
    """What the user reads for a prompt: a style preset's description in their language (FAL got the
    preset's English prompt), or the prompt as the user wrote it."""
    style = _STYLE_OF_PROMPT.get(prompt.strip())
    return text(language, f"gen_style_{style}_prompt") if style else prompt


__all__ = ["CATALOGUES", "DEFAULT_LANGUAGE", "shown_prompt", "text"]
