"""Telegram's text formatting: ``parse_mode`` HTML into plain text and entities, bot_command entities.

Offsets and lengths are in UTF-16 code units, as the Bot API counts them. MarkdownV2 and Markdown are
reduced to their text with escapes removed (no entities).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from .errors import bad_request

_SIMPLE = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
           "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "code": "code",
           "pre": "pre", "tg-spoiler": "spoiler", "blockquote": "blockquote"}
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?")
_MD_TOKEN_RE = re.compile(r"\\([_*\[\]()~`>#+\-=|{}.!\\])|\|\||__|[*_~`]")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _HtmlToEntities(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.units = 0
        self.open: list[tuple[str, dict[str, Any]]] = []
        self.entities: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a":
            entity: dict[str, Any] = {"type": "text_link", "url": values.get("href") or ""}
        elif tag == "span" and values.get("class") == "tg-spoiler":
            entity = {"type": "spoiler"}
        elif tag == "blockquote" and "expandable" in values:
            entity = {"type": "expandable_blockquote"}
        elif tag in _SIMPLE:
            entity = {"type": _SIMPLE[tag]}
            if tag == "code" and self.open and self.open[-1][0] == "pre":
                language = (values.get("class") or "").removeprefix("language-")
                if language:
                    self.open[-1][1]["language"] = language
        elif tag == "br":
            self.handle_data("\n")
            return
        else:
            raise bad_request(f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {self.units}')
        entity["offset"] = self.units
        self.open.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":
            return
        if not self.open or self.open[-1][0] != tag:
            raise bad_request(f'can\'t parse entities: Unmatched end tag at byte offset {self.units}, expected '
                              f'"</{self.open[-1][0] if self.open else ""}>", found "</{tag}>"')
        _, entity = self.open.pop()
        entity["length"] = self.units - entity["offset"]
        if entity["length"] > 0 and not (entity["type"] == "code" and self.open and self.open[-1][0] == "pre"):
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self.units += utf16_len(data)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    parser = _HtmlToEntities()
    parser.feed(source)
    parser.close()
    if parser.open:
        tag = parser.open[-1][0]
        raise bad_request(f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{tag}"')
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.text), entities


def strip_markdown(source: str) -> str:
    """MarkdownV2/Markdown text without its marks and escapes (entities are not computed)."""
    return _MD_TOKEN_RE.sub(lambda m: m.group(1) or "", source)


def format_text(text: str, parse_mode: str | None, entities: Any = None) -> tuple[str, list[dict[str, Any]]]:
    """The text Telegram stores and its entities, from what the bot sent."""
    if isinstance(entities, list):
        return text, entities
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode in ("markdown", "markdownv2"):
        return strip_markdown(text), []
    if mode:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    return text, []


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities Telegram adds to a user's text ("/start", "/help@bot")."""
    entities = []
    for match in _COMMAND_RE.finditer(text):
        entities.append({"type": "bot_command", "offset": utf16_len(text[: match.start()]),
                         "length": utf16_len(match.group(0))})
    return entities
