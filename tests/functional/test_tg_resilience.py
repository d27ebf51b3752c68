"""Telegram under flood control and poison, through the functions' entry points (issue 11): the Bot API
stand-in answers 429 with retry_after and "message is not modified" as Telegram does; updates go
through tg_webhook and tg_dispatch into the bot functions; the journal and the outbox are read back."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from typing import Any

import psycopg
import pytest
from PIL import Image

from infra.journal.cli import main as journal_cli
from tests.functional.conftest import Functions, button
from tests.functional.events import api_gateway_post, telegram_update
from tests.functional.handlers import CORE_LAYER, catalogue, journal_rows

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def _webhook(functions: Functions, update: dict[str, Any]) -> dict[str, Any]:
    headers = {SECRET_HEADER: functions.env["TELEGRAM_WEBHOOK_SECRET"]}
    answer = functions.call("tg_webhook", api_gateway_post("/webhook/telegram", json.dumps(update).encode(), headers))
    assert answer["statusCode"] == 200, answer
    return dict(json.loads(answer["body"]))


def _through_the_bot(functions: Functions, update: dict[str, Any]) -> dict[str, Any]:
    """As Telegram delivers it: the webhook journals and queues it, the dispatcher runs it; its journal row."""
    chat = update.get("message", update.get("callback_query", {})).get("from", {}).get("id")
    _webhook(functions, update)
    functions.call("tg_dispatch", {"chat_id": chat})
    (row,) = journal_rows(functions.database_url, "telegram", str(update["update_id"]))
    return row


def _press(functions: Functions, user: int, message: dict[str, Any], data: str, *,
           sent_data: str | None = None) -> dict[str, Any]:
    """A real press on `message`'s button `data` (the stand-in knows the query); `sent_data` forges what
    the update carries instead."""
    pressed = functions.chat.press(user, message["message_id"], data=data)
    return telegram_update("callback_query", user, id=pressed["callback_query_id"], data=sent_data or data,
                           message=message)


def _sql(functions: Functions, query: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with psycopg.connect(functions.database_url, row_factory=psycopg.rows.dict_row, autocommit=True) as conn:
        cursor = conn.execute(query, args)
        return cursor.fetchall() if cursor.description else []


def _texts(functions: Functions, user: int) -> list[str]:
    return [m.get("text") or m.get("caption") or "" for m in functions.sent(user)]


# --- flood control -------------------------------------------------------------------------------


def test_start_under_a_429_on_send_message_still_greets_and_shows_the_menu_once(functions: Functions) -> None:
    user = functions.new_user()
    functions.chat.add_fault(429, method="sendMessage", chat_id=user, retry_after=1, count=1)
    row = _through_the_bot(functions, telegram_update("start", user))
    assert row["status"] == "processed" and row["error_code"] is None
    assert _texts(functions, user) == [catalogue("en", "welcome", name="Ann", bonus=0),
                                       catalogue("en", "menu_title", balance=0)]
    sends = functions.chat.calls("sendMessage", chat_id=user)
    assert [(c["ok"], c["error_code"]) for c in sends] == [(False, 429), (True, None), (True, None)]


def test_flood_control_past_the_budget_keeps_the_flows_message_in_the_outbox(
        functions: Functions, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_FLOOD_WAIT_SECONDS", "1")
    user = functions.new_user()
    functions.chat.add_fault(429, method="sendMessage", chat_id=user, retry_after=30, count=1)
    row = _through_the_bot(functions, telegram_update("start", user))
    assert row["status"] == "processed"  # the update is done: registration stays, nothing parked
    assert _sql(functions, "SELECT count(*) AS n FROM users WHERE id = %s", (user,))[0]["n"] == 1
    welcome = catalogue("en", "welcome", name="Ann", bonus=0)
    assert _texts(functions, user) == [catalogue("en", "menu_title", balance=0)]  # the menu went; the welcome waits
    (kept,) = _sql(functions, "SELECT key, kind, status FROM notifications WHERE chat_id = %s", (user,))
    assert (kept["kind"], kept["status"]) == ("bot_call", "pending")

    _sql(functions, "UPDATE notifications SET created_at = now() - interval '2 minutes' WHERE key = %s",
         (kept["key"],))  # the next sweep, a few minutes on
    for _ in range(2):
        functions.call("fal_reconcile", {})
    assert _sql(functions, "SELECT status FROM notifications WHERE key = %s", (kept["key"],))[0]["status"] == "sent"
    assert _texts(functions, user).count(welcome) == 1


def test_a_flows_calls_share_one_flood_budget(functions: Functions, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_FLOOD_WAIT_SECONDS", "1.5")
    user = functions.new_user()
    _through_the_bot(functions, telegram_update("start", user))
    menu = functions.last_sent(user)
    functions.chat.add_fault(429, method="answerCallbackQuery", retry_after=1, count=1)
    functions.chat.add_fault(429, method="editMessageText", chat_id=user, retry_after=1, count=1)
    tap = _press(functions, user, menu, button(menu, "en", "menu_balance"))
    assert _through_the_bot(functions, tap)["status"] == "processed"
    assert functions.chat.callback_query(tap["callback_query"]["id"], wait=5)["answered"]  # waited 1 s, went
    assert functions.last_sent(user)["text"] == menu["text"]  # the edit would have needed 2 s in all: kept
    (kept,) = _sql(functions, "SELECT key, payload FROM notifications WHERE chat_id = %s AND kind = 'bot_call'",
                   (user,))
    assert kept["payload"]["method"] == "editMessageText"

    _sql(functions, "UPDATE notifications SET created_at = now() - interval '2 minutes' WHERE key = %s",
         (kept["key"],))
    functions.call("fal_reconcile", {})
    balance = functions.last_sent(user)
    assert balance["message_id"] == menu["message_id"]
    assert balance["text"] == catalogue("en", "balance_title", balance=0, training=150, image=5)
    button(balance, "en", "balance_button_topup")  # the keyboard came along


def test_an_update_parked_by_a_telegram_failure_is_replayed_end_to_end(
        functions: Functions, capsys: pytest.CaptureFixture[str]) -> None:
    from aisha.services import tg_dispatch

    user = functions.new_user()
    functions.chat.add_fault(500, method="sendMessage", chat_id=user, count=tg_dispatch.MAX_ATTEMPTS)
    update = telegram_update("start", user)
    _webhook(functions, update)
    for _ in range(tg_dispatch.MAX_ATTEMPTS - 1):  # a failure that may pass: tried again, first in line
        with pytest.raises(tg_dispatch.TryLater):
            functions.call("tg_dispatch", {"chat_id": user})  # the invocation fails: its Event is retried
        assert journal_rows(functions.database_url, "telegram", str(update["update_id"]))[0]["status"] == "processing"
    functions.call("tg_dispatch", {"chat_id": user})  # it failed every time: parked, the chat goes on
    (row,) = journal_rows(functions.database_url, "telegram", str(update["update_id"]))
    assert row["status"] == "parked" and row["error_code"].startswith("handler_")
    assert _sql(functions, "SELECT count(*) AS n FROM users WHERE id = %s", (user,))[0]["n"] == 1

    code = journal_cli(["replay", str(row["id"]), "--endpoint-url", functions.invoke_api.url], environ=functions.env)
    assert code == 0, capsys.readouterr()
    assert {"chat_id": user} in functions.invoke_api.queued("tg_dispatch")
    functions.call("tg_dispatch", {"chat_id": user})  # the queued Event, run here
    assert journal_rows(functions.database_url, "telegram", str(update["update_id"]))[0]["status"] == "processed"
    assert _texts(functions, user)[-1] == catalogue("en", "menu_title", balance=0)
    capsys.readouterr()
    assert journal_cli(["replay", str(row["id"]), "--endpoint-url", functions.invoke_api.url],
                       environ=functions.env) == 0  # not parked any more: nothing to do, and it says so
    assert "not_parked" in capsys.readouterr().out


def test_an_edit_that_changes_nothing_is_success(functions: Functions) -> None:
    user = functions.new_user()
    _through_the_bot(functions, telegram_update("start", user))
    menu = functions.last_sent(user)
    data = button(menu, "en", "menu_balance")
    taps = [_press(functions, user, menu, data) for _ in range(2)]  # a double tap: both before any edit
    for tap in taps:
        _webhook(functions, tap)
    functions.call("tg_dispatch", {"chat_id": user})
    for tap in taps:
        assert journal_rows(functions.database_url, "telegram", str(tap["update_id"]))[0]["status"] == "processed"
    edits = functions.chat.calls("editMessageText", chat_id=user, count=2)
    assert [(c["ok"], (c["description"] or "").startswith("Bad Request: message is not modified"))
            for c in edits] == [(True, False), (False, True)]
    assert functions.last_sent(user)["text"] == catalogue("en", "balance_title", balance=0, training=150, image=5)
    for tap in taps:  # each button answered once
        assert functions.chat.callback_query(tap["callback_query"]["id"], wait=5)["answered"]


def test_a_stale_top_up_button_is_answered_once_with_why(functions: Functions) -> None:
    user = functions.new_user()
    _through_the_bot(functions, telegram_update("start", user))
    menu = functions.last_sent(user)
    _through_the_bot(functions, _press(functions, user, menu, button(menu, "en", "menu_balance")))
    balance = functions.last_sent(user)
    _through_the_bot(functions, _press(functions, user, balance, button(balance, "en", "balance_button_topup")))
    offers = functions.last_sent(user)
    stale = _press(functions, user, offers, button(offers, "en", "balance_topup_offer", coins=250, stars=50),
                   sent_data="balance:buy:300")  # a package that no longer exists
    row = _through_the_bot(functions, stale)
    assert row["status"] == "processed"
    query_id = stale["callback_query"]["id"]
    answers = [c for c in functions.chat.calls("answerCallbackQuery")
               if c["params"].get("callback_query_id") == query_id]
    assert len(answers) == 1
    answer = functions.chat.callback_query(query_id, wait=5)["answer"]
    assert answer["text"] == catalogue("en", "balance_topup_unknown")
    assert functions.last_sent(user)["text"] == catalogue("en", "balance_topup_title")


# --- poison --------------------------------------------------------------------------------------


@pytest.mark.parametrize("breakage", ["message_without_chat_id", "callback_without_from"])
def test_a_malformed_update_with_the_right_secret_is_parked_with_its_reason(functions: Functions,
                                                                            breakage: str) -> None:
    user = functions.new_user()
    if breakage == "message_without_chat_id":
        update = telegram_update("text", user)
        del update["message"]["chat"]["id"]
        reason = "message.chat.id"
    else:
        update = telegram_update("callback_query", user, data="menu:show")
        del update["callback_query"]["from"]
        del update["callback_query"]["message"]
        reason = "callback_query.from.id"
    body = _webhook(functions, update)
    assert body == {"ok": True, "parked": "malformed_update"}
    rows = _sql(functions, "SELECT status, error_code, last_error FROM webhook_events WHERE provider = 'telegram' "
                "AND delivery_key = %s", (str(update["update_id"]),))
    assert [(r["status"], r["error_code"]) for r in rows] == [("parked", "malformed_update")]
    assert reason in rows[0]["last_error"]
    assert {"chat_id": user} not in functions.invoke_api.queued("tg_dispatch")
    assert _webhook(functions, update) == {"ok": True, "duplicate": True}  # Telegram's resend: nothing new


def test_the_reconciler_parks_old_poison_and_still_resends_unsent_messages(functions: Functions) -> None:
    user = functions.new_user()
    _through_the_bot(functions, telegram_update("start", user))
    poison = telegram_update("callback_query", user, data="menu:show")
    del poison["callback_query"]["from"], poison["callback_query"]["message"]
    key = str(poison["update_id"])
    # a row an older webhook journaled and never finished: it made every sweep fail with a KeyError
    (row,) = _sql(functions, "INSERT INTO webhook_events (provider, endpoint, delivery_key, claimed_key, body, "
                  "signature, status, last_seen_at) VALUES ('telegram', '/webhook/telegram', %s, %s, %s, 'valid', "
                  "'received', now() - interval '2 hours') RETURNING id", (key, key, json.dumps(poison).encode()))
    note = f"test-reconcile-{user}"
    _sql(functions, "INSERT INTO notifications (key, chat_id, kind, payload, created_at) VALUES (%s, %s, "
         "'generation_failed', %s::jsonb, now() - interval '5 minutes')",
         (note, user, json.dumps({"language": "en", "reason": "r", "coins": 5})))

    for _ in range(2):  # a second sweep is as happy as the first
        summary = functions.call("fal_reconcile", {})
        assert isinstance(summary, dict) and "notifications_retried" in summary
    (event,) = _sql(functions, "SELECT status, error_code FROM webhook_events WHERE id = %s", (row["id"],))
    assert (event["status"], event["error_code"]) == ("parked", "malformed_update")
    assert _sql(functions, "SELECT status FROM notifications WHERE key = %s", (note,))[0]["status"] == "sent"
    assert _texts(functions, user).count(catalogue("en", "generation_failed", reason="r", coins=5)) == 1


@pytest.mark.parametrize("forged", ["balance:history:" + "9" * 40, "balance:history:9223372036854775807",
                                    "avatar:status:-" + "9" * 30, "balance:history:²"])
def test_numbers_out_of_range_in_callback_data_get_an_answer_not_a_park(functions: Functions, forged: str) -> None:
    user = functions.new_user()
    _through_the_bot(functions, telegram_update("start", user))
    menu = functions.last_sent(user)
    _through_the_bot(functions, _press(functions, user, menu, button(menu, "en", "menu_balance")))
    balance = functions.last_sent(user)
    pressed = _press(functions, user, balance, "balance:history:0", sent_data=forged)
    row = _through_the_bot(functions, pressed)
    assert row["status"] == "processed", row
    answer = functions.chat.callback_query(pressed["callback_query"]["id"], wait=5)["answer"]
    if forged.endswith("²"):  # a digit int() cannot read: no page number, so the first page
        assert answer is not None and answer["text"] is None
        assert functions.last_sent(user)["text"] == catalogue("en", "balance_history_empty")
        return
    assert answer["text"] == catalogue("en", "button_unknown")
    assert functions.last_sent(user)["text"] == catalogue("en", "menu_title", balance=0)


def _jpeg(seed: int) -> bytes:
    image = Image.new("RGB", (800, 640), (seed * 40 % 256, 90, 160))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def _draft_with_a_photo(functions: Functions, user: int) -> tuple[int, dict[str, Any]]:
    """Through the avatar flow to the photo step with one photo stored; (avatar id, the counter message)."""
    _through_the_bot(functions, telegram_update("start", user))
    menu = functions.last_sent(user)
    _through_the_bot(functions, _press(functions, user, menu, button(menu, "en", "menu_avatar")))
    _through_the_bot(functions, telegram_update("text", user, text="Mila"))
    for key in ("avatar_gender_female", "avatar_type_portrait", "avatar_preset_fast"):
        step = functions.last_sent(user)
        _through_the_bot(functions, _press(functions, user, step, button(step, "en", key)))
    sent = functions.chat.send_photos(user, [_jpeg(user % 7)])["messages"][0]["message"]
    photo = telegram_update("photo", user, photo=sent["photo"], message_id=sent["message_id"])
    assert _through_the_bot(functions, photo)["status"] == "processed"
    (avatar,) = _sql(functions, "SELECT id FROM avatars WHERE user_id = %s AND status <> 'cancelled'", (user,))
    keys = _sql(functions, "SELECT s3_key FROM avatar_photos WHERE avatar_id = %s", (avatar["id"],))
    assert len(keys) == 1
    return int(avatar["id"]), functions.last_sent(user)


@pytest.mark.parametrize("how", ["/cancel", "Cancel button"])
def test_cancel_in_the_photo_step_drops_the_draft_and_its_photos(functions: Functions, how: str) -> None:
    from aisha.worker import state

    user = functions.new_user()
    avatar_id, counter = _draft_with_a_photo(functions, user)
    (photo,) = _sql(functions, "SELECT s3_key FROM avatar_photos WHERE avatar_id = %s", (avatar_id,))
    bucket = functions.env["S3_BUCKET_PHOTOS"]
    assert state().storage.exists(bucket, photo["s3_key"])
    if how == "/cancel":
        update = telegram_update("command", user, text="/cancel",
                                 entities=[{"offset": 0, "length": 7, "type": "bot_command"}])
    else:
        update = _press(functions, user, counter, button(counter, "en", "button_cancel"))
    assert _through_the_bot(functions, update)["status"] == "processed"
    assert _sql(functions, "SELECT status FROM avatars WHERE id = %s", (avatar_id,))[0]["status"] == "cancelled"
    assert _sql(functions, "SELECT count(*) AS n FROM avatar_photos WHERE avatar_id = %s", (avatar_id,))[0]["n"] == 0
    assert not state().storage.exists(bucket, photo["s3_key"])
    assert functions.last_sent(user)["text"].startswith(catalogue("en", "avatar_cancelled"))


# --- the outbox: claim, commit, send, mark sent ----------------------------------------------------


class _Killed(BaseException):
    """The sender dies (kill -9) between Telegram's answer and the mark: nothing of it runs after."""


def _pending_note(functions: Functions, user: int, name: str) -> str:
    key = f"test-{name}-{user}"
    _sql(functions, "INSERT INTO notifications (key, chat_id, kind, payload, created_at) VALUES (%s, %s, "
         "'generation_failed', %s::jsonb, now() - interval '5 minutes')",
         (key, user, json.dumps({"language": "en", "reason": name, "coins": 5})))
    return key


def test_a_sender_killed_between_send_and_mark_makes_at_most_one_duplicate_and_loses_nothing(
        functions: Functions) -> None:
    from aisha.services import outbox
    from aisha.worker import state

    worker = state()
    user = functions.new_user()
    key = _pending_note(functions, user, "killed")
    text = catalogue("en", "generation_failed", reason="killed", coins=5)
    held: list[bool] = []

    def send_then_die(kind: str, chat_id: int, payload: dict[str, Any]) -> Any:
        async def run() -> None:
            await worker.notifier.send(kind, chat_id, payload)
            with psycopg.connect(functions.database_url) as other:  # no transaction holds the row meanwhile
                other.execute("SET lock_timeout = '1s'")
                held.append(other.execute("SELECT 1 FROM notifications WHERE key = %s FOR UPDATE NOWAIT",
                                          (key,)).fetchone() is None)
            raise _Killed
        return run()

    with pytest.raises(_Killed):
        outbox.deliver(worker.db, key, send_then_die, worker.loop.run)
    assert held == [False]
    (row,) = _sql(functions, "SELECT status, claimed_until > now() AS claimed FROM notifications WHERE key = %s",
                  (key,))
    assert (row["status"], row["claimed"]) == ("pending", True)
    functions.call("fal_reconcile", {})  # the claim is live: the sweep leaves it alone
    assert _texts(functions, user).count(text) == 1

    _sql(functions, "UPDATE notifications SET claimed_until = now() - interval '1 second' WHERE key = %s", (key,))
    for _ in range(2):  # the claim lapsed (its sender is dead): the next sweep sends it, once
        functions.call("fal_reconcile", {})
    assert _sql(functions, "SELECT status FROM notifications WHERE key = %s", (key,))[0]["status"] == "sent"
    assert _texts(functions, user).count(text) == 2  # one duplicate for one kill, nothing lost


def test_flood_control_past_the_budget_keeps_the_message_in_the_outbox_until_it_goes(
        functions: Functions, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_FLOOD_WAIT_SECONDS", "1")
    user = functions.new_user()
    key = _pending_note(functions, user, "flood")
    text = catalogue("en", "generation_failed", reason="flood", coins=5)
    functions.chat.add_fault(429, method="sendMessage", chat_id=user, retry_after=30, count=1)
    functions.call("fal_reconcile", {})
    (row,) = _sql(functions, "SELECT status, last_error, claimed_until > now() + interval '20 seconds' AS later "
                  "FROM notifications WHERE key = %s", (key,))
    assert row["status"] == "pending" and row["later"] and "Flood control" in row["last_error"]
    assert text not in _texts(functions, user)

    _sql(functions, "UPDATE notifications SET claimed_until = now() WHERE key = %s", (key,))  # 30 s later
    functions.call("fal_reconcile", {})
    assert _sql(functions, "SELECT status FROM notifications WHERE key = %s", (key,))[0]["status"] == "sent"
    assert _texts(functions, user).count(text) == 1


# --- the dispatcher never drops what it popped -------------------------------------------------------


def test_a_dispatch_that_fails_after_the_pop_puts_the_update_back_and_the_retry_runs_it(
        functions: Functions, monkeypatch: pytest.MonkeyPatch) -> None:
    from aisha.errors import DatabaseUnavailable
    from aisha.services import journal

    user = functions.new_user()
    first, second = telegram_update("start", user), telegram_update("text", user, text="hello")
    for update in (first, second):
        _webhook(functions, update)
    real_mark = journal.mark

    def database_gone(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseUnavailable("the database went away")

    monkeypatch.setattr(journal, "mark", database_gone)
    with pytest.raises(DatabaseUnavailable):  # the invocation fails, so the runner retries it
        functions.call("tg_dispatch", {"chat_id": user})
    ids = [journal_rows(functions.database_url, "telegram", str(u["update_id"]))[0]["id"] for u in (first, second)]
    assert _queued(user) == ids  # the popped one back first in line, the chat's order kept

    monkeypatch.setattr(journal, "mark", real_mark)
    assert functions.call("tg_dispatch", {"chat_id": user})["handled"] == 2  # the retry
    assert [journal_rows(functions.database_url, "telegram", str(u["update_id"]))[0]["status"]
            for u in (first, second)] == ["processed", "processed"]
    assert functions.sent(user)[0]["text"] == catalogue("en", "welcome", name="Ann", bonus=0)


def test_a_routing_error_parks_the_update_with_its_reason_and_the_chat_goes_on(
        functions: Functions, monkeypatch: pytest.MonkeyPatch) -> None:
    import aisha.handlers.tg_dispatch as dispatcher

    user = functions.new_user()
    broken, fine = telegram_update("text", user, text="first"), telegram_update("start", user)
    for update in (broken, fine):
        _webhook(functions, update)
    real_route = dispatcher.route

    def route(update: dict[str, Any], state: Any) -> str:
        if update["update_id"] == broken["update_id"]:
            raise RuntimeError("no route for this one")
        return real_route(update, state)

    monkeypatch.setattr(dispatcher, "route", route)
    functions.call("tg_dispatch", {"chat_id": user})
    (parked,) = journal_rows(functions.database_url, "telegram", str(broken["update_id"]))
    assert (parked["status"], parked["error_code"]) == ("parked", "route_failed")
    assert journal_rows(functions.database_url, "telegram", str(fine["update_id"]))[0]["status"] == "processed"


def _queued(chat_id: int) -> list[int]:
    from aisha.worker import state

    return [int(x) for x in state().redis.lrange(f"aisha:chatq:{chat_id}:updates", 0, -1)]


_KILLED_DRAINER = """
import os, sys
import redis
from aisha.services import chat_queue
chat_queue.drain(redis.Redis.from_url(sys.argv[1]), int(sys.argv[2]), lambda event_id: os._exit(9), lock_ms=300)
"""


def test_a_drainer_killed_mid_update_leaves_it_first_in_line_for_the_next(functions: Functions) -> None:
    from aisha.worker import state

    user = functions.new_user()
    first, second = telegram_update("start", user), telegram_update("text", user, text="hello")
    for update in (first, second):
        _webhook(functions, update)
    killed = subprocess.run([sys.executable, "-c", _KILLED_DRAINER, functions.env["REDIS_URL"], str(user)],
                            env={"PATH": "", "PYTHONPATH": str(CORE_LAYER)}, capture_output=True, timeout=60)
    assert killed.returncode == 9, killed.stderr  # died holding the first update (as kill -9 would)
    deadline = time.monotonic() + 10
    while state().redis.exists(f"aisha:chatq:{user}:lock") and time.monotonic() < deadline:
        time.sleep(0.05)  # until the dead drainer's lock expires (300 ms)
    assert functions.call("tg_dispatch", {"chat_id": user})["handled"] == 2
    assert [journal_rows(functions.database_url, "telegram", str(u["update_id"]))[0]["status"]
            for u in (first, second)] == ["processed", "processed"]
    assert functions.sent(user)[0]["text"] == catalogue("en", "welcome", name="Ann", bonus=0)  # in order
    assert _queued(user) == []


def test_a_queue_entry_whose_journal_row_is_gone_does_not_block_the_chat(functions: Functions) -> None:
    from aisha.services import chat_queue
    from aisha.worker import state

    user = functions.new_user()
    chat_queue.push(state().redis, user, 2**62)  # e.g. queued before a database restore
    update = telegram_update("start", user)
    _webhook(functions, update)
    functions.call("tg_dispatch", {"chat_id": user})
    assert journal_rows(functions.database_url, "telegram", str(update["update_id"]))[0]["status"] == "processed"
    assert _queued(user) == []


def test_a_message_of_several_sends_resends_only_the_part_that_failed(functions: Functions) -> None:
    from aisha.worker import state

    user = functions.new_user()
    bucket, keys = functions.env["S3_BUCKET_IMAGES"], [f"{user}/gen/1.jpg", f"{user}/gen/2.jpg"]
    for i, key in enumerate(keys):
        state().storage.put(bucket, key, _jpeg(i), "image/jpeg")
    note = f"test-parts-{user}"
    _sql(functions, "INSERT INTO notifications (key, chat_id, kind, payload, created_at) VALUES (%s, %s, "
         "'generation_done', %s::jsonb, now() - interval '5 minutes')",
         (note, user, json.dumps({"language": "en", "keys": keys, "prompt": "a cat", "hidden": 1})))
    functions.chat.add_fault(500, method="sendMessage", chat_id=user, count=1)  # the notice fails once
    functions.call("fal_reconcile", {})
    (row,) = _sql(functions, "SELECT status, payload FROM notifications WHERE key = %s", (note,))
    assert row["status"] == "pending" and row["payload"]["parts_sent"] == ["images"]

    _sql(functions, "UPDATE notifications SET claimed_until = NULL WHERE key = %s", (note,))
    functions.call("fal_reconcile", {})
    assert _sql(functions, "SELECT status FROM notifications WHERE key = %s", (note,))[0]["status"] == "sent"
    assert len(functions.chat.calls("sendMediaGroup", chat_id=user)) == 1  # the images went once
    assert _texts(functions, user).count(catalogue("en", "generation_nsfw_hidden", count=1)) == 1


def test_a_start_whose_handler_died_before_the_welcome_still_welcomes_once(functions: Functions) -> None:
    """Registered (user and bonus committed), then killed before the welcome went: the rerun, for a
    known user, still owes it; a later /start does not repeat it."""
    from aisha.services import tg_dispatch, users
    from aisha.worker import state

    user = functions.new_user()
    functions.chat.add_fault(500, method="sendMessage", chat_id=user, count=1)  # the first try dies here
    update = telegram_update("start", user)
    _webhook(functions, update)
    with pytest.raises(tg_dispatch.TryLater):
        functions.call("tg_dispatch", {"chat_id": user})
    with state().db.transaction() as conn:
        assert users.get_user(conn, user).welcomed_at is None  # registered, not yet welcomed
    functions.call("tg_dispatch", {"chat_id": user})  # the retried invocation
    welcome = catalogue("en", "welcome", name="Ann", bonus=functions.env.get("WELCOME_BONUS", "0"))
    assert _texts(functions, user).count(welcome) == 1
    _through_the_bot(functions, telegram_update("start", user))
    assert _texts(functions, user).count(welcome) == 1
    assert catalogue("en", "welcome_back", name="Ann") in _texts(functions, user)


def test_a_notification_to_a_user_who_blocked_the_bot_is_given_up_not_retried(functions: Functions) -> None:
    from aisha.handlers.fal_process import send_notifications
    from aisha.services import outbox
    from aisha.worker import state

    user = functions.new_user()
    _through_the_bot(functions, telegram_update("start", user))
    functions.chat.add_fault(403, method="sendMessage", chat_id=user, count=1)  # "bot was blocked by the user"
    key = f"test-blocked:{user}"
    with state().db.transaction() as conn:
        outbox.enqueue(conn, key, user, "bot_call", {"method": "sendMessage",
                                                     "params": {"chat_id": user, "text": "hello"}})
    send_notifications(state(), [key])
    rows = _sql(functions, "SELECT status, last_error FROM notifications WHERE key = %s", (key,))
    assert rows[0]["status"] == "failed" and "Forbidden" in rows[0]["last_error"]
    assert key not in outbox.pending_keys(state().db)  # the sweep does not send it again


def test_a_message_sent_while_redis_is_away_is_marked_sent_not_resent(functions: Functions) -> None:
    """The notifier forgets the chat's live step in Redis after the send; Redis refusing must not make a
    message that went out look unsent (its claim would lapse and the sweep would send it again)."""
    import redis
    from aisha.services import outbox
    from aisha.telegram.notifier import Notifier
    from aisha.worker import state

    from infra.devservices.procs import free_port

    worker = state()
    user = functions.new_user()
    _through_the_bot(functions, telegram_update("start", user))
    away = redis.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)  # nothing listens
    notifier = Notifier(worker.notifier.bot, worker.storage, worker.settings.s3_bucket_images, away)
    key = f"test-redis-away:{user}"
    with worker.db.transaction() as conn:
        outbox.enqueue(conn, key, user, "bot_call", {"method": "sendMessage",
                                                     "params": {"chat_id": user, "text": "still here"}})
    assert outbox.deliver(worker.db, key, notifier.send, worker.loop.run)
    assert _sql(functions, "SELECT status FROM notifications WHERE key = %s", (key,))[0]["status"] == "sent"
    assert _texts(functions, user)[-1] == "still here"


def test_a_message_sent_while_postgres_goes_away_is_marked_sent_once_it_is_back(functions: Functions) -> None:
    """PostgreSQL cut between the send and the mark (a restart, a failover): the sender that knows the
    message went waits for the database instead of leaving its claim to lapse (the sweep would send it again)."""
    import logging

    from aisha.db import Database
    from aisha.services import outbox
    from aisha.worker import state

    from bench.chaos_services import Relay

    worker = state()
    user = functions.new_user()
    key = f"test-postgres-away:{user}"
    with worker.db.transaction() as conn:
        outbox.enqueue(conn, key, user, "bot_call", {"method": "sendMessage",
                                                     "params": {"chat_id": user, "text": "still here"}})
    relay = Relay(int(str(psycopg.conninfo.conninfo_to_dict(functions.database_url)["port"]))).start()
    db = Database(psycopg.conninfo.make_conninfo(functions.database_url, host="127.0.0.1", port=relay.port),
                  timeout=0.5)

    waits: list[str] = []

    class BackOnTheFirstWait(logging.Handler):  # the outage lasts until the sender has waited for it once
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith(f"notification {key} went out but cannot be marked sent yet"):
                waits.append(record.getMessage())
                relay.up()

    def send_then_cut(kind: str, chat_id: int, payload: dict[str, Any]) -> Any:
        async def run() -> None:
            await worker.notifier.send(kind, chat_id, payload)
            relay.down()  # the database goes away the moment the message has gone
        return run()

    handler = BackOnTheFirstWait()
    logging.getLogger("aisha.services.outbox").addHandler(handler)
    try:
        assert outbox.deliver(db, key, send_then_cut, worker.loop.run, mark_patience=20)
    finally:
        logging.getLogger("aisha.services.outbox").removeHandler(handler)
        db.close()
        relay.stop()
    assert waits  # the wait is logged, and the database came back only then
    assert _sql(functions, "SELECT status FROM notifications WHERE key = %s", (key,))[0]["status"] == "sent"
    assert key not in outbox.pending_keys(worker.db)
    assert _texts(functions, user).count("still here") == 1
