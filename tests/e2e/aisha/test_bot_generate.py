"""The generation flow through the runner: /generate -> avatar -> prompt or style -> format -> count ->
price and confirm -> FAL stand-in -> webhook -> images in the chat; refusals charge and submit nothing."""

from __future__ import annotations

import time
from typing import Any

import redis
from aisha.models import PromoKind
from aisha.resources import Resources
from aisha.services import promo

from tests.e2e.aisha.bot_kit import (
    BOT_TIMEOUT,
    balance,
    buttons,
    make_avatar,
    message,
    new_user,
    press,
    wait_button,
    wait_for,
    wait_text,
)


def _job(stack: Any, known: set[str]) -> dict[str, Any]:
    def new() -> dict[str, Any] | None:
        return next((j for j in stack.fal.jobs() if j["request_id"] not in known), None)

    return dict(wait_for(new, what="a new FAL job"))


def _generations(res: Resources, user_id: int) -> list[tuple[Any, ...]]:
    with res.db.transaction() as conn:
        rows = conn.execute("SELECT status, num_images, cost, avatar_id FROM generations WHERE user_id = %s",
                            (user_id,)).fetchall()
    return [tuple(row.values()) for row in rows]


def _generation_id(res: Resources, user_id: int) -> int:
    with res.db.transaction() as conn:
        row = conn.execute("SELECT max(id) AS id FROM generations WHERE user_id = %s", (user_id,)).fetchone()
    assert row is not None and row["id"] is not None
    return int(row["id"])


def test_a_generation_with_the_main_avatar_arrives_as_an_album_and_is_charged(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res, coins=100)
    other = make_avatar(res, user_id, "Second", completed=True)  # not the main one
    main = make_avatar(res, user_id, "Lena")
    with res.db.transaction() as conn:
        conn.execute("UPDATE avatars SET is_main = (id = %s) WHERE user_id = %s", (main.id, user_id))
    known = {j["request_id"] for j in stack.fal.jobs()}

    stack.chat.send_text(user_id, "/generate")
    choice = wait_text(stack, user_id, "С каким аватаром")
    assert choice["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"gen:avatar:{main.id}"
    assert "⭐" in choice["reply_markup"]["inline_keyboard"][0][0]["text"]
    assert f"gen:avatar:{other.id}" in str(choice["reply_markup"])
    press(stack, user_id, f"gen:avatar:{main.id}")
    wait_text(stack, user_id, "Опишите изображение")
    stack.chat.send_text(user_id, "on a beach at sunset")
    press(stack, user_id, "gen:size:portrait_4_3")
    press(stack, user_id, "gen:count:2")
    summary = wait_text(stack, user_id, "Проверьте заказ")
    assert "Стоимость: 10 монет" in summary["text"] and "баланс: 100" in summary["text"]
    press(stack, user_id, "gen:confirm")
    wait_text(stack, user_id, "Они придут сюда")

    job = _job(stack, known)
    assert job["app_id"] == "fal-ai/flux-lora"
    arguments = job["arguments"]
    assert arguments["num_images"] == 2 and arguments["image_size"] == "portrait_4_3"
    assert arguments["prompt"] == f"{main.trigger_phrase}, on a beach at sunset"
    assert len(arguments["loras"]) == 1
    album = stack.chat.calls("sendMediaGroup", chat_id=user_id, wait=BOT_TIMEOUT)
    assert len(album) == 1
    assert balance(res, user_id) == 90
    wait_for(lambda: _generations(res, user_id) == [("completed", 2, 10, main.id)], what="the generation row")
    assert buttons(message(stack, user_id, summary["message_id"])) == []  # the order is finished work

    # the album ends with what to do next: the same again (priced first), another style, the gallery
    generation_id = _generation_id(res, user_id)
    after = wait_text(stack, user_id, "Что дальше?")
    assert buttons(after) == [f"gallery:regen:{generation_id}", f"generate:{main.id}", "gallery:images:0"]
    stack.chat.press(user_id, after["message_id"], data=f"gallery:regen:{generation_id}")
    again = wait_text(stack, user_id, "Проверьте заказ", after=after["message_id"])  # below, not over the album
    assert f"gallery:regen_ok:{generation_id}" in buttons(again)
    assert message(stack, user_id, after["message_id"])["text"] == after["text"]


def test_text_to_image_without_an_avatar_from_a_style_preset(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res, coins=100, language="en")
    known = {j["request_id"] for j in stack.fal.jobs()}
    stack.chat.send_text(user_id, "/imagine")
    wait_text(stack, user_id, "no ready avatars")
    press(stack, user_id, "gen:avatar:none")
    press(stack, user_id, "gen:style:cinematic")
    press(stack, user_id, "gen:size:landscape_16_9")
    press(stack, user_id, "gen:count:1")
    wait_text(stack, user_id, "Price: 5 coins")
    press(stack, user_id, "gen:confirm")
    wait_text(stack, user_id, "They will arrive here")

    job = _job(stack, known)
    assert job["app_id"] == stack.settings().fal_text_to_image_model
    assert not job["arguments"].get("loras")
    assert job["arguments"]["prompt"].startswith("cinematic film still")
    assert stack.chat.calls("sendPhoto", chat_id=user_id, wait=BOT_TIMEOUT)
    assert balance(res, user_id) == 95
    after = wait_text(stack, user_id, "What next?")
    assert buttons(after) == [f"gallery:regen:{_generation_id(res, user_id)}", "generate:none", "gallery:images:0"]
    stack.chat.press(user_id, after["message_id"], data="generate:none")  # another style, still without an avatar
    styles = wait_text(stack, user_id, "Describe", after=after["message_id"])
    assert "gen:style:business" in buttons(styles)


def test_a_prompt_over_the_limit_is_refused_with_the_limit(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res)
    limit = stack.settings().max_prompt_length
    stack.chat.send_text(user_id, "/generate")
    press(stack, user_id, "gen:avatar:none")
    wait_text(stack, user_id, "Опишите изображение")
    stack.chat.send_text(user_id, "x" * (limit + 1))
    refusal = wait_text(stack, user_id, "слишком длинное")
    assert str(limit) in refusal["text"] and str(limit + 1) in refusal["text"]
    stack.chat.send_text(user_id, "a red fox in the snow")  # still asking: a shorter prompt is taken
    assert "a red fox in the snow" in wait_text(stack, user_id, "формат изображения")["text"]


def test_a_short_balance_is_refused_and_nothing_is_submitted(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res, coins=12)  # 3 images cost 15
    stack.chat.send_text(user_id, "/generate")
    press(stack, user_id, "gen:avatar:none")
    press(stack, user_id, "gen:style:business")
    press(stack, user_id, "gen:size:square_hd")
    press(stack, user_id, "gen:count:3")
    wait_text(stack, user_id, "Стоимость: 15 монет")
    jobs_before = len(stack.fal.jobs())
    press(stack, user_id, "gen:confirm")
    refusal = wait_text(stack, user_id, "Не хватает монет")
    assert "15" in refusal["text"] and "12" in refusal["text"]
    assert "balance:show" in str(refusal["reply_markup"])
    assert len(stack.fal.jobs()) == jobs_before
    assert balance(res, user_id) == 12
    assert _generations(res, user_id) == []


def test_an_expired_conversation_returns_to_the_menu(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res)
    stack.chat.send_text(user_id, "/generate")
    choice = wait_button(stack, user_id, "gen:avatar:none")
    redis.Redis.from_url(stack.env["REDIS_URL"]).delete(f"aisha:chat:{user_id}:state")  # the TTL ran out
    stack.chat.press(user_id, choice["message_id"], data="gen:avatar:none")
    expired = wait_text(stack, user_id, "Сессия истекла", after=choice["message_id"])
    assert "Главное меню" in expired["text"]


def test_paid_actions_over_the_rate_limit_are_refused(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res, coins=100)
    stack.chat.send_text(user_id, "/generate")
    press(stack, user_id, "gen:avatar:none")
    press(stack, user_id, "gen:style:street")
    press(stack, user_id, "gen:size:square_hd")
    press(stack, user_id, "gen:count:1")
    summary = wait_button(stack, user_id, "gen:confirm")
    limit = stack.settings().rate_limit_paid_actions_per_minute
    minute = int(time.time() // 60)
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    for at in (minute, minute + 1):  # used up, even if the minute turns meanwhile
        client.set(f"aisha:rl:paid:{user_id}:{at}", limit, ex=180)
    jobs_before = len(stack.fal.jobs())
    stack.chat.press(user_id, summary["message_id"], data="gen:confirm")
    wait_text(stack, user_id, "Слишком много платных действий", after=summary["message_id"])
    assert len(stack.fal.jobs()) == jobs_before and balance(res, user_id) == 100
    assert _generations(res, user_id) == []


def test_imagine_brings_its_prompt_along(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res, language="en")
    stack.chat.send_text(user_id, "/imagine a red fox in the snow")
    press(stack, user_id, "gen:avatar:none")
    assert "Description: a red fox in the snow" in wait_text(stack, user_id, "Choose the image format")["text"]


def test_a_discount_is_shown_in_the_price_and_used_by_the_charge(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res, coins=100)
    code = f"GEN{user_id}"
    with res.db.transaction() as conn:
        promo.create(conn, code, PromoKind.DISCOUNT_PERCENT, 20)
        promo.redeem(conn, user_id, code)
    stack.chat.send_text(user_id, "/generate")
    press(stack, user_id, "gen:avatar:none")
    press(stack, user_id, "gen:style:fantasy")
    press(stack, user_id, "gen:size:portrait_16_9")
    press(stack, user_id, "gen:count:2")
    summary = wait_text(stack, user_id, "Проверьте заказ")
    assert "Стоимость: 8 монет (со скидкой, без неё 10)" in summary["text"]
    press(stack, user_id, "gen:confirm")
    wait_text(stack, user_id, "Они придут сюда")
    assert balance(res, user_id) == 92
    wait_for(lambda: stack.chat.calls("sendMediaGroup", chat_id=user_id), what="the album")
