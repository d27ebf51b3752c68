"""The command table routes every command it lists and every alias, unknown commands go to bot_help, and
Telegram's language_code picks the catalogue (pure code, no servers)."""

from __future__ import annotations

import pytest
from aisha.bot.routing import BOT_COMMANDS, COMMANDS, LISTED_COMMANDS, command_menu, route
from aisha.functions import BOT_HELP, BOT_START
from aisha.models import Language
from aisha.services.users import language_for
from aisha.texts import CATALOGUES


def _message(text: str) -> dict[str, object]:
    return {"update_id": 1, "message": {"message_id": 1, "text": text, "chat": {"id": 5, "type": "private"}}}


def test_every_command_of_the_table_is_routed_to_its_function() -> None:
    for command in BOT_COMMANDS:
        assert route(_message(f"/{command.name}"), None) == command.function
        assert route(_message(f"/{command.name.upper()}@aisha_bot with words"), None) == command.function
    assert len({c.name for c in BOT_COMMANDS}) == len(BOT_COMMANDS) == len(COMMANDS)


def test_an_unknown_command_goes_to_help_and_plain_text_to_start() -> None:
    assert route(_message("/foo"), None) == BOT_HELP
    assert route(_message("/"), None) == BOT_HELP
    assert route(_message("hello"), None) == BOT_START


def test_the_menu_lists_the_advertised_commands_with_their_texts() -> None:
    names = [c.name for c in LISTED_COMMANDS]
    assert names[0] == "start" and {"help", "paysupport", "terms"} <= set(names)
    for language in CATALOGUES:
        menu = command_menu(language)
        assert [name for name, _ in menu] == names
        assert all(0 < len(description) <= 256 for _, description in menu)  # Telegram's limit
        assert all(description == CATALOGUES[language][f"command_{name}"] for name, description in menu)
    assert command_menu("ru") != command_menu("en")


@pytest.mark.parametrize(("code", "language"), [
    ("ru", Language.RU), ("uk", Language.RU), ("be", Language.RU), ("kk", Language.RU), ("RU", Language.RU),
    ("ru-RU", Language.RU), ("uk_UA", Language.RU), ("en", Language.EN), ("en-GB", Language.EN),
    ("de", Language.EN), ("es", Language.EN), ("pt-br", Language.EN), ("kkk", Language.EN), ("", Language.EN),
    (None, Language.EN),
])
def test_the_language_code_maps_to_a_catalogue(code: str | None, language: Language) -> None:
    assert language_for(code) is language
