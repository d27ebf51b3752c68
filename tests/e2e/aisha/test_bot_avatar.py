"""Avatar creation through the runner: /avatar -> name, gender, type, preset -> photos (single, albums,
files; each checked) -> review -> confirm (charged with the submit) -> FAL stand-in trains -> "ready"."""

from __future__ import annotations

import datetime as dt
import io
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from aisha.db import Database
from aisha.models import AvatarStatus, LedgerKind, PromoKind
from aisha.services import avatars, ledger, photos, promo
from PIL import Image
from telegram import Chat, Message, PhotoSize, Update, User

from tests import web
from tests.e2e.aisha.bot_kit import wait_chat, wait_text

BOT_TIMEOUT = 40


@pytest.fixture(scope="module")
def db(stack: Any) -> Iterator[Database]:
    database = Database(stack.env["DATABASE_URL"])
    yield database
    database.close()


def jpeg(seed: int, size: tuple[int, int] = (600, 700)) -> bytes:
    image = Image.new("RGB", size, (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256))
    for x in range(0, size[0], 40):  # a pattern that differs per seed, so no two photos are the same
        image.putpixel((x, (x * seed) % size[1]), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 640), (seed % 256, 200, 30)).save(out, "PNG")
    return out.getvalue()


def buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


class Chatter:
    """One user in the Telegram stand-in, and what the bot said to them."""

    def __init__(self, stack: Any, waiter: Any, language: str = "en") -> None:
        self.stack, self.waiter = stack, waiter
        self.chat_id = random.randint(10**8, 10**9)
        self.language = language
        stack.chat.set_user(self.chat_id, first_name="Lena", language_code=language)
        self.seen = 0  # the last bot message id already read

    def new(self, count: int = 1) -> list[dict[str, Any]]:
        found = self.stack.chat.wait_bot_messages(self.chat_id, after=self.seen, count=count, timeout=BOT_TIMEOUT)
        self.seen = max(m["message_id"] for m in found)
        return [m["message"] for m in found]

    def say(self, text: str, count: int = 1) -> list[dict[str, Any]]:
        self.stack.chat.send_text(self.chat_id, text)
        return self.new(count)

    def message(self, message_id: int) -> dict[str, Any]:
        return next(m["message"] for m in self.stack.chat.messages(self.chat_id) if m["message_id"] == message_id)

    def press(self, message: dict[str, Any], data: str, until: Any) -> dict[str, Any]:
        """Press a button of `message` and wait until that message (edited) satisfies `until`."""
        self.stack.chat.press(self.chat_id, message["message_id"], data=data)
        return wait_chat(self.stack, self.chat_id,
                         lambda: until(self.message(message["message_id"])) and self.message(message["message_id"]),
                         BOT_TIMEOUT, what=f"the answer to {data}")

    def press_new(self, message: dict[str, Any], data: str, fragment: str) -> dict[str, Any]:
        """Press a button of `message` and wait for a NEW bot message below it that contains `fragment`."""
        self.stack.chat.press(self.chat_id, message["message_id"], data=data)
        found = wait_text(self.stack, self.chat_id, fragment, after=message["message_id"], timeout=BOT_TIMEOUT)
        self.seen = max(self.seen, found["message_id"])
        return found

    def to_photos(self, name: str = "Lena") -> tuple[int, dict[str, Any]]:
        """From the first contact to the upload step: (avatar id, the message asking for photos)."""
        self.say("/start", count=2)
        asked = self.say("/avatar")[0]
        assert "avatar:cancel" in buttons(asked)
        gender = self.say(name)[0]
        assert buttons(gender)[:3] == ["avatar:gender:male", "avatar:gender:female", "avatar:gender:other"]
        kind = self.press(gender, "avatar:gender:female", lambda m: "avatar:type:portrait" in buttons(m))
        preset = self.press(kind, "avatar:type:portrait", lambda m: "avatar:preset:balanced" in buttons(m))
        ask = self.press(preset, "avatar:preset:balanced", lambda m: "avatar:preset:balanced" not in buttons(m))
        return int(self.state()["data"]["avatar_id"]), ask

    def state(self) -> dict[str, Any]:
        import json

        raw = redis.Redis.from_url(self.stack.env["REDIS_URL"]).get(f"aisha:chat:{self.chat_id}:state")
        return dict(json.loads(raw)) if raw else {}


def credit(db: Database, user_id: int, coins: int) -> None:
    with db.transaction() as conn:
        ledger.credit(conn, user_id, coins, LedgerKind.TOPUP, reason="test")


def avatar_of(db: Database, avatar_id: int) -> Any:
    with db.transaction() as conn:
        return avatars.get(conn, avatar_id), photos.list_photos(conn, avatar_id)


def album_updates(stack: Any, chatter: Chatter, images: list[bytes]) -> list[dict[str, Any]]:
    """An album as Telegram would send it: one update per photo sharing a media_group_id. The photos are
    stored in the stand-in first (the bot uploads them to a side chat) so the bot can download them."""
    side = random.randint(10**8, 10**9)
    stack.chat.set_user(side, first_name="Side")
    api = f"{stack.env['TELEGRAM_API_BASE_URL']}{stack.env['TELEGRAM_BOT_TOKEN']}"
    user = User(id=chatter.chat_id, first_name="Lena", is_bot=False, language_code=chatter.language)
    group, base_update, base_message = str(random.randint(10**17, 10**18)), random.randint(10**8, 10**9), 90000
    updates = []
    for index, data in enumerate(images):
        sent = web.post(f"{api}/sendPhoto", data={"chat_id": str(side)}, files={"photo": ("p.jpg", data)},
                        timeout=30).json()["result"]
        sizes = [PhotoSize(s["file_id"], s["file_unique_id"], s["width"], s["height"], s.get("file_size"))
                 for s in sent["photo"]]
        message = Message(message_id=base_message + index, date=dt.datetime.now(dt.UTC), from_user=user,
                          chat=Chat(id=chatter.chat_id, type="private"), photo=sizes, media_group_id=group)
        updates.append(Update(update_id=base_update + index, message=message).to_dict())
    return updates


def deliver(stack: Any, updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    headers = {"X-Telegram-Bot-Api-Secret-Token": stack.env["TELEGRAM_WEBHOOK_SECRET"]}
    answers = []
    for index, update in enumerate(updates):  # alternately to both runner instances
        response = web.post(f"{stack.urls[index % 2]}/webhook/telegram", json=update, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    return answers


def test_from_avatar_to_a_trained_avatar_with_an_album_of_12_in_mixed_order(stack: Any, waiter: Any,
                                                                             db: Database) -> None:
    lena = Chatter(stack, waiter, language="ru")
    avatar_id, ask = lena.to_photos("Лена")
    assert "от 10 до 20 фотографий" in ask["text"]
    credit(db, lena.chat_id, 300)

    updates = album_updates(stack, lena, [jpeg(seed) for seed in range(1, 13)])
    random.Random(7).shuffle(updates)
    assert [u["update_id"] for u in updates] != sorted(u["update_id"] for u in updates)
    deliver(stack, updates)
    counter = lena.new()[0]  # ONE counter message for the whole album, edited as the photos arrive
    counter = waiter(lambda: "12 из 10–20" in (m := lena.message(counter["message_id"]))["text"] and m,
                     BOT_TIMEOUT, what="the counter to reach 12")
    assert buttons(counter) == [f"avatar:review:{avatar_id}", "avatar:cancel"]
    assert deliver(stack, updates[:1]) == [{"ok": True, "duplicate": True}]  # Telegram resends one of them
    assert len(stack.chat.messages(lena.chat_id, after=counter["message_id"], direction="out")) == 0
    assert len(stack.chat.calls("sendMessage", chat_id=lena.chat_id)) == 5  # welcome, menu, name, gender, counter
    avatar, stored = avatar_of(db, avatar_id)
    assert len(stored) == 12 and avatar.status is AvatarStatus.PHOTOS_UPLOADING

    review = lena.press(counter, f"avatar:review:{avatar_id}", lambda m: f"avatar:confirm:{avatar_id}" in buttons(m))
    assert "Фотографий: 12" in review["text"] and "Стоимость: 150" in review["text"]
    assert "Баланс: 300" in review["text"]
    stack.fal.configure(queue_delay=120, fetch_inputs=True)  # held in the queue; the trainer reads our zip
    try:
        started = lena.press_new(review, f"avatar:confirm:{avatar_id}", "началось")  # a milestone: a new message
        stack.fal.configure(queue_delay=0.2)
        assert "15–20 минут" in started["text"]
        assert buttons(started) == [f"avatar:status:{avatar_id}", "menu:show"]
        kept = lena.message(review["message_id"])  # the review stays, without its buttons (finished work)
        assert kept["text"] == review["text"] and buttons(kept) == []
        assert lena.state() == {}
        avatar, _ = avatar_of(db, avatar_id)
        assert avatar.status is AvatarStatus.TRAINING
        job = next(j for j in stack.fal.jobs() if j["request_id"] == avatar.fal_request_id)
        assert job["app_id"] == "fal-ai/flux-lora-portrait-trainer" and job["arguments"]["steps"] == 2500
        queued = lena.press_new(started, f"avatar:status:{avatar_id}", "позиция")
        assert lena.message(started["message_id"])["text"] == started["text"]  # never edited away
        assert "«Лена»: обучается" in queued["text"]
        assert buttons(queued) == [f"avatar:status:{avatar_id}", "menu:show"]
        web.post(f"{stack.fal.admin_url}/jobs/{avatar.fal_request_id}/complete", json={},
                 timeout=10).raise_for_status()
        waiter(lambda: avatar_of(db, avatar_id)[0].status is AvatarStatus.COMPLETED, BOT_TIMEOUT,
               what="the training")
    finally:
        stack.fal.configure(queue_delay=0.2, fetch_inputs=False)
    ready = lena.new()[0]
    assert "Лена" in ready["text"] and "готов" in ready["text"]
    with db.transaction() as conn:
        assert ledger.balance(conn, lena.chat_id) == 150

    status = lena.press_new(queued, f"avatar:status:{avatar_id}", "«Лена»: готов")  # below the "ready" message
    assert buttons(status) == ["menu:show"]
    # the photos question still shows Cancel: pressed now, it says the training started, not "expired"
    done = lena.press_new(ask, "avatar:cancel", "Обучение уже запущено")
    assert "avatar:new" in buttons(done) and "Сессия истекла" not in done["text"]
    assert avatar_of(db, avatar_id)[0].status is AvatarStatus.COMPLETED


def test_each_refused_file_gets_its_reason(stack: Any, waiter: Any, db: Database) -> None:
    ann = Chatter(stack, waiter)
    avatar_id, _ = ann.to_photos("Ann")
    chat = stack.chat

    chat.send_photos(ann.chat_id, [jpeg(1, (300, 400))])
    assert "300\u00d7400 px; the short side must be at least 512 px" in ann.new()[0]["text"]
    chat.send_photos(ann.chat_id, [jpeg(2)])
    accepted = ann.new()[0]["text"]
    assert "Photos: 1 of 10–20" in accepted and "Not accepted" not in accepted
    chat.send_photos(ann.chat_id, [jpeg(2)])
    assert "already in the set" in ann.new()[0]["text"]
    chat.send_documents(ann.chat_id, [(b"just some notes", "notes.txt", "text/plain")])
    assert "not a JPEG, PNG or WebP image" in ann.new()[0]["text"]
    big = bytes(21 * 1024 * 1024)
    chat.send_documents(ann.chat_id, [(big, "huge.jpg", "image/jpeg")])
    assert "the file is 21.0 MB; the limit is 20 MB" in ann.new()[0]["text"]
    chat.send_documents(ann.chat_id, [(png(3), "me.png", "image/png")])
    assert "Photos: 2 of 10–20" in ann.new()[0]["text"]

    avatar, stored = avatar_of(db, avatar_id)
    assert [p.content_type for p in stored] == ["image/jpeg", "image/png"]
    assert avatar.status is AvatarStatus.PHOTOS_UPLOADING


def test_a_short_balance_is_refused_and_nothing_is_submitted(stack: Any, waiter: Any, db: Database) -> None:
    bo = Chatter(stack, waiter)
    avatar_id, ask = bo.to_photos("Bo")
    credit(db, bo.chat_id, 100)
    code = f"AV{bo.chat_id}"
    with db.transaction() as conn:  # a 20 % discount: 120 coins instead of 150, still 20 short
        promo.create(conn, code, PromoKind.DISCOUNT_PERCENT, 20)
        promo.redeem(conn, bo.chat_id, code)
    stack.chat.send_photos(bo.chat_id, [jpeg(seed) for seed in range(20, 30)])  # an album of 10
    counter = bo.new()[0]
    counter = waiter(lambda: f"avatar:review:{avatar_id}" in buttons(m := bo.message(counter["message_id"])) and m,
                     BOT_TIMEOUT,
                     what="the counter to reach 10")
    assert "Photos: 10 of 10–20" in counter["text"]

    review = bo.press(counter, f"avatar:review:{avatar_id}", lambda m: f"avatar:confirm:{avatar_id}" in buttons(m))
    assert "Price: 120 coins" in review["text"] and "150 coins without it" in review["text"]
    assert "20 coins short" in review["text"] and "balance:show" in buttons(review)
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    minute = int(time.time() // 60)
    limits = [f"aisha:rl:paid:{bo.chat_id}:{m}" for m in (minute, minute + 1)]
    for key in limits:  # five paid actions this minute already
        client.set(key, 5, ex=120)
    stack.chat.press(bo.chat_id, review["message_id"], data=f"avatar:confirm:{avatar_id}")
    assert bo.new()[0]["text"].startswith("Too many paid actions")
    client.delete(*limits)
    refused = bo.press_new(review, f"avatar:confirm:{avatar_id}", "Not enough coins")  # below the notice
    assert "costs 120, your balance is 100" in refused["text"]
    assert buttons(refused)[0] == "balance:show"

    avatar, _ = avatar_of(db, avatar_id)
    assert avatar.status is AvatarStatus.READY_FOR_TRAINING and avatar.fal_request_id is None
    assert not [j for j in stack.fal.jobs() if avatar.trigger_phrase in str(j["arguments"])]
    with db.transaction() as conn:
        assert ledger.balance(conn, bo.chat_id) == 100
        assert promo.discounted_price(conn, bo.chat_id, 150, consume=False) == 120  # the discount is kept

    # the top-up happens in the balance flow, which takes the conversation over; the review comes back
    redis.Redis.from_url(stack.env["REDIS_URL"]).delete(f"aisha:chat:{bo.chat_id}:state")
    credit(db, bo.chat_id, 50)
    again = bo.press(refused, f"avatar:review:{avatar_id}", lambda m: "Balance: 150 coins" in m["text"])
    assert "short" not in again["text"] and "balance:show" not in buttons(again)
    bo.press_new(again, f"avatar:confirm:{avatar_id}", "has started")
    done = bo.press_new(ask, "avatar:cancel", "The training has started already")  # not "expired"
    assert "avatar:new" in buttons(done)
    with db.transaction() as conn:
        assert ledger.balance(conn, bo.chat_id) == 30
        assert promo.discounted_price(conn, bo.chat_id, 150, consume=False) == 150  # used by this training


def test_an_expired_conversation_returns_to_the_menu(stack: Any, waiter: Any) -> None:
    cy = Chatter(stack, waiter)
    cy.say("/start", count=2)
    cy.say("/avatar")
    gender = cy.say("Cy")[0]
    client = redis.Redis.from_url(stack.env["REDIS_URL"])
    client.delete(f"aisha:chat:{cy.chat_id}:state")  # the TTL ran out
    stack.chat.press(cy.chat_id, gender["message_id"], data="avatar:gender:male")
    menu = cy.new()[0]
    assert menu["text"].startswith("The session expired") and "avatar:new" in buttons(menu)

    cy.to_photos("Cy")
    client.delete(f"aisha:chat:{cy.chat_id}:state")
    stack.chat.send_photos(cy.chat_id, [jpeg(40), jpeg(41)])  # an album: one answer, not two
    menu = cy.new()[0]
    assert menu["text"].startswith("The session expired")
    stack.chat.send_text(cy.chat_id, "/help")
    assert cy.new()[0]["text"].startswith("I train a personal avatar")  # nothing else came in between


def test_a_photo_outside_the_flow_and_cancel(stack: Any, waiter: Any, db: Database) -> None:
    di = Chatter(stack, waiter)
    di.say("/start", count=2)
    stack.chat.send_photos(di.chat_id, [jpeg(50)])
    hint = di.new()[0]
    assert "while an avatar is being created" in hint["text"] and buttons(hint)[0] == "avatar:new"

    asked = di.press(hint, "avatar:new", lambda m: "What should it be called" in m["text"])
    assert buttons(asked) == ["avatar:cancel"]
    avatar_id, _ = di.to_photos("Di")
    stack.chat.send_photos(di.chat_id, [jpeg(51)])
    counter = di.new()[0]
    menu = di.press(counter, "avatar:cancel", lambda m: "avatar creation cancelled" in m["text"].lower())
    assert "avatar:new" in buttons(menu)
    avatar, stored = avatar_of(db, avatar_id)
    assert avatar.status is AvatarStatus.CANCELLED and stored == []
    assert di.state() == {}


def test_answers_at_the_wrong_step(stack: Any, waiter: Any) -> None:
    ed = Chatter(stack, waiter)
    ed.say("/start", count=2)
    ed.say("/newavatar")
    assert "has 65" in ed.say("x" * 65)[0]["text"]
    gender = ed.say("Ed")[0]
    assert ed.say("a man")[0]["text"].startswith("Choose with the buttons above")
    # the notice is the newest message now: the next step comes below it, the question above stays
    kind = ed.press_new(gender, "avatar:gender:male", "Which kind of avatar")
    assert "avatar:type:style" in buttons(kind) and ed.message(gender["message_id"])["text"] == gender["text"]
    assert ed.state()["step"] == "type"
    ed.to_photos("Ed")
    assert ed.say("where do I send them?")[0]["text"].startswith("Waiting for photos")


def test_at_most_20_photos(stack: Any, waiter: Any, db: Database) -> None:
    # 6 updates to get here + 21 photos: under the 30 updates a minute a user may send
    fay = Chatter(stack, waiter)
    avatar_id, _ = fay.to_photos("Fay")
    for first in (60, 70):
        stack.chat.send_photos(fay.chat_id, [jpeg(seed) for seed in range(first, first + 10)])
        counter = fay.new()[0]
        waiter(lambda c=counter, n=first - 50: f"Photos: {n} of" in fay.message(c["message_id"])["text"],
               BOT_TIMEOUT, what="the album's counter")
    assert "That is the maximum" in fay.message(fay.seen)["text"]
    stack.chat.send_photos(fay.chat_id, [jpeg(99)])
    assert "the set already has 20 photos, the maximum" in fay.new()[0]["text"]
    assert len(avatar_of(db, avatar_id)[1]) == 20
