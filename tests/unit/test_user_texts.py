"""Meta-test: every text a Telegram user sees comes from the catalogues (aisha/texts/{en,ru}/).

An AST scan of the modules that talk to users (the bot's flows, the Telegram notifier, the handlers):
no string literal with letters in what is sent, edited, answered or put on a button; no Cyrillic
outside the catalogues; every catalogue key the code names exists. The scanner is shown to catch what
it looks for on small samples, so the scan over the tree cannot pass by looking at nothing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aisha.texts import CATALOGUES

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "layers" / "core" / "python" / "aisha"
SCANNED = ("bot", "telegram", "handlers")

# calls whose arguments reach the user's screen
VISIBLE_CALLS = frozenset({
    "send_message", "edit_message_text", "edit_message_caption", "send_photo", "send_media_group",
    "send_document", "send_invoice", "answer_callback_query", "answer_pre_checkout_query", "reply",
    "edit_or_reply", "answer_button", "show_menu", "InlineKeyboardButton", "KeyboardButton", "InputMediaPhoto",
    "LabeledPrice", "BotCommand",
})
# their arguments that Telegram does not show
HIDDEN_ARGUMENTS = frozenset({"callback_data", "payload", "currency", "parse_mode", "chat_id", "message_id",
                              "provider_token", "start_parameter", "url", "ok", "media", "photo", "scope"})
TEXT_FUNCTIONS = frozenset({"t", "text"})  # ctx.t(key, ...), aisha.texts.text(language, key, ...)
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def _literal_letters(node: ast.AST) -> Iterator[str]:
    """String literals with letters in an expression, not looking into calls (ctx.t("key") is fine) nor
    into subscripts and comparisons (keys and tests, not text)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if any(ch.isalpha() for ch in node.value):
            yield node.value
    elif isinstance(node, ast.JoinedStr):
        for part in node.values:
            if isinstance(part, ast.Constant):
                yield from _literal_letters(part)
            elif isinstance(part, ast.FormattedValue):
                yield from _literal_letters(part.value)
    elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and _looks_like_callback(node.elts[1]):
        yield from _literal_letters(node.elts[0])  # a button: (label, callback data); the data is not shown
    elif not isinstance(node, ast.Call | ast.Subscript | ast.Compare | ast.Attribute):
        for child in ast.iter_child_nodes(node):
            yield from _literal_letters(child)


def _name(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _looks_like_callback(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.match(r"^[a-z_]+:[A-Za-z0-9_:]*$", node.value))
    return isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant) and ":" in str(
        node.values[0].value)


def bypasses(source: str) -> list[str]:
    """What in `source` would show a user text that is not from a catalogue (line: literal)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and _name(node.func) in VISIBLE_CALLS:
            shown = [*node.args, *(k.value for k in node.keywords if k.arg not in HIDDEN_ARGUMENTS)]
            found += [f"{node.lineno}: {_name(node.func)}({literal!r})" for arg in shown
                      for literal in _literal_letters(arg)]
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and _looks_like_callback(node.elts[1]):
            found += [f"{node.lineno}: button {literal!r}" for literal in _literal_letters(node.elts[0])]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and CYRILLIC.search(node.value):
            found.append(f"{node.lineno}: Cyrillic outside the catalogues {node.value!r}")
    return sorted(set(found))


def named_keys(source: str) -> list[tuple[int, str, bool]]:
    """(line, key or key prefix, is a prefix) of every catalogue key passed to ctx.t / text as a literal."""
    keys: list[tuple[int, str, bool]] = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and _name(node.func) in TEXT_FUNCTIONS and node.args):
            continue
        key = node.args[0] if isinstance(node.func, ast.Attribute) else node.args[-1]
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            keys.append((node.lineno, key.value, False))
        elif isinstance(key, ast.JoinedStr) and isinstance(key.values[0], ast.Constant):
            keys.append((node.lineno, str(key.values[0].value), True))
    return keys


def _scanned_modules() -> list[Path]:
    return sorted(p for folder in SCANNED for p in (CORE / folder).rglob("*.py"))


def test_the_scan_covers_the_modules_that_talk_to_users() -> None:
    names = {p.relative_to(CORE).as_posix() for p in _scanned_modules()}
    assert {"bot/flows/help.py", "bot/flows/start.py", "telegram/notifier.py", "handlers/bot.py"} <= names


@pytest.mark.parametrize("sample", [
    'await ctx.reply("Hello there")',
    'await bot.send_message(chat_id, f"Paid: {coins} coins")',
    'await ctx.edit_or_reply(ctx.t("menu_title") + " (beta)")',
    'await ctx.answer_button(notice="Done!")',
    'rows = [[("Русский", "lang:set:ru")]]',
    'rows = [[("Back", f"gallery:images:{page}")]]',
    'InlineKeyboardButton("Open", callback_data="menu:show")',
    'BotCommand("start", "Main menu")',
    'caption = "Готово"',
])
def test_the_scanner_finds_a_literal_text(sample: str) -> None:
    assert bypasses(sample), sample


@pytest.mark.parametrize("sample", [
    'await ctx.reply(ctx.t("menu_title", balance=balance), [[(ctx.t("button_menu"), "menu:show")]])',
    'await bot.send_message(chat_id, text(lang, "avatar_ready", name=p["name"]))',
    'rows = [[(str(n), f"gen:count:{n}") for n in range(1, 5)]]',
    'await ctx.reply(f"{prefix}\\n\\n{body}")',
    'InlineKeyboardButton(label, callback_data="menu:show")',
    'await ctx.bot.send_invoice(chat_id, title=ctx.t("x"), payload=payload, currency="XTR")',
])
def test_the_scanner_lets_catalogue_texts_through(sample: str) -> None:
    assert bypasses(sample) == [], sample


def test_no_user_facing_text_bypasses_the_catalogues() -> None:
    found = [f"{path.relative_to(CORE)}:{hit}" for path in _scanned_modules() for hit in bypasses(path.read_text())]
    assert not found, "texts a user sees that are not from aisha/texts:\n" + "\n".join(found)


def test_every_key_the_code_names_is_in_both_catalogues() -> None:
    missing: list[str] = []
    seen = 0
    for path in _scanned_modules():
        for line, key, prefix in named_keys(path.read_text()):
            seen += 1
            for language, catalogue in CATALOGUES.items():
                if not (any(k.startswith(key) for k in catalogue) if prefix else key in catalogue):
                    missing.append(f"{path.relative_to(CORE)}:{line} {language} has no {key!r}{'…' * prefix}")
    assert seen > 100  # the scan saw the flows' texts
    assert not missing, "\n".join(missing)


def test_both_catalogues_render_every_text_with_its_placeholders() -> None:
    import string

    for language, catalogue in CATALOGUES.items():
        for key, template in catalogue.items():
            fields = {name: "x" for _, name, _, _ in string.Formatter().parse(template) if name}
            assert template.format(**fields).strip(), f"{language}:{key} renders empty"
