"""bot_balance (balance, top-up offers, a Stars payment credited once) and the first avatar-flow steps,
with recorded updates whose button data and query ids come from what the bot and the stand-in sent."""

from __future__ import annotations

from typing import Any

from tests.functional.conftest import Functions, button
from tests.functional.events import telegram_update
from tests.functional.handlers import catalogue


def _press(functions: Functions, user: int, message: dict[str, Any], data: str) -> dict[str, Any]:
    """A callback_query update as Telegram sends it for a press on `message`'s button `data`."""
    pressed = functions.chat.press(user, message["message_id"], data=data)
    return telegram_update("callback_query", user, id=pressed["callback_query_id"], data=data, message=message)


def _start(functions: Functions, user: int) -> dict[str, Any]:
    functions.call("bot_start", {"event_id": 1, "update": telegram_update("start", user)})
    return functions.last_sent(user)  # the menu


def test_balance_from_the_menu_then_a_stars_top_up_credited_once(functions: Functions) -> None:
    user = functions.new_user()
    menu = _start(functions, user)
    functions.call("bot_balance", {"event_id": 2, "update": _press(functions, user, menu,
                                                                     button(menu, "en", "menu_balance"))})
    balance = functions.last_sent(user)
    assert balance["message_id"] == menu["message_id"]  # the menu message, edited
    assert balance["text"] == catalogue("en", "balance_title", balance=0, training=150, image=5)

    functions.call("bot_balance", {"event_id": 3, "update": _press(functions, user, balance,
                                                                     button(balance, "en", "balance_button_topup"))})
    offers = functions.last_sent(user)
    assert offers["text"] == catalogue("en", "balance_topup_title")
    buy = button(offers, "en", "balance_topup_offer", coins=250, stars=50)
    functions.call("bot_balance", {"event_id": 4, "update": _press(functions, user, offers, buy)})
    invoice_call = functions.chat.calls("sendInvoice", chat_id=user)[-1]
    payload = invoice_call["params"]["payload"]
    assert invoice_call["params"]["currency"] == "XTR"

    checkout = functions.chat.pay(user)
    pre_checkout = telegram_update("pre_checkout_query", user, id=checkout["id"], invoice_payload=payload,
                                   total_amount=50)
    functions.call("bot_balance", {"event_id": 5, "update": pre_checkout})
    assert functions.chat.payment(checkout["id"], wait=10)["status"] == "paid"

    paid = telegram_update("successful_payment", user)
    paid["message"]["successful_payment"].update(invoice_payload=payload, total_amount=50,
                                                 telegram_payment_charge_id=f"stxFunctional{user}")
    functions.call("bot_balance", {"event_id": 6, "update": paid})
    functions.call("bot_balance", {"event_id": 7, "update": {**paid, "update_id": paid["update_id"] + 1}})
    functions.call("bot_balance", {"event_id": 8, "update": telegram_update("command", user, text="/balance",
                                                                               entities=[{"offset": 0, "length": 8,
                                                                                          "type": "bot_command"}])})
    assert functions.last_sent(user)["text"] == catalogue("en", "balance_title", balance=250, training=150, image=5)


def test_the_avatar_flow_asks_the_name_then_the_gender(functions: Functions) -> None:
    user = functions.new_user()
    menu = _start(functions, user)
    functions.call("bot_avatar", {"event_id": 2, "update": _press(functions, user, menu,
                                                                    button(menu, "en", "menu_avatar"))})
    ask_name = functions.last_sent(user)
    assert ask_name["text"] == catalogue("en", "avatar_ask_name")

    functions.call("bot_avatar", {"event_id": 3, "update": telegram_update("text", user, text="Mila")})
    ask_gender = functions.last_sent(user)
    assert ask_gender["text"] == catalogue("en", "avatar_ask_gender", name="Mila")
    for gender in ("female", "male"):
        button(ask_gender, "en", f"avatar_gender_{gender}")


def test_a_photo_or_album_part_outside_the_flow_gets_a_hint(functions: Functions) -> None:
    user = functions.new_user()
    _start(functions, user)
    for recorded in ("photo", "album_part"):
        before = functions.last_sent(user)["message_id"]
        functions.call("bot_avatar", {"event_id": 2, "update": telegram_update(recorded, user)})
        hint = functions.sent(user, after=before)
        assert len(hint) == 1 and hint[0]["text"] == catalogue("en", "avatar_photo_outside")
        button(hint[0], "en", "avatar_button_new")
