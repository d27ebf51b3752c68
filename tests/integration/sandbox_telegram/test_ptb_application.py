"""A python-telegram-bot Application behind a webhook, the way the bot's functions run it, end to end."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from sandbox.telegram import SandboxClient, TelegramSandbox
from tests.integration.sandbox_telegram.harness import image

SECRET = "app-secret"


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Create avatar", callback_data="avatar:new")]])
    assert update.effective_chat
    await context.bot.send_message(update.effective_chat.id, "Menu", reply_markup=keyboard)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query
    await query.answer("ok")
    await query.edit_message_text(f"You chose {query.data}")


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message and message.photo
    file = await message.photo[-1].get_file()
    data = await file.download_as_bytearray()
    await message.reply_text(f"got {message.photo[-1].width}px, {len(data)} bytes, group {message.media_group_id}",
                             do_quote=True)


class BotWorker:
    """The webhook function's shape: one loop for its whole life, the secret checked, updates processed."""

    def __init__(self, sandbox: TelegramSandbox) -> None:
        self.app = (Application.builder().token(sandbox.token).base_url(sandbox.base_url)
                    .base_file_url(sandbox.base_file_url).updater(None).build())
        self.app.add_handler(CommandHandler("start", start))
        self.app.add_handler(CallbackQueryHandler(pressed))
        self.app.add_handler(MessageHandler(filters.PHOTO, photo))
        self.loop = asyncio.new_event_loop()
        self.url = ""

    async def hook(self, request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != SECRET:
            return web.json_response({"error": "unauthorized"}, status=401)
        await self.app.process_update(Update.de_json(await request.json(), self.app.bot))
        return web.Response(text="ok")

    async def _start(self) -> None:
        await self.app.initialize()
        server = web.Application()
        server.router.add_post("/webhook/telegram", self.hook)
        self.runner = web.AppRunner(server, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/webhook/telegram"

    async def _stop(self) -> None:
        await self.runner.cleanup()
        await self.app.shutdown()

    def __enter__(self) -> BotWorker:
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self._start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def worker(sandbox: TelegramSandbox) -> Iterator[BotWorker]:
    with BotWorker(sandbox) as running:
        yield running


def test_menu_button_and_album_through_the_webhook(worker: BotWorker, sandbox: TelegramSandbox,
                                                   client: SandboxClient) -> None:
    asyncio.run_coroutine_threadsafe(worker.app.bot.set_webhook(worker.url, secret_token=SECRET),
                                     worker.loop).result(10)
    client.send_text(88, "/start")
    menu = client.wait_bot_messages(88, after=1)[0]
    assert menu["message"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "avatar:new"
    pressed_at = client.press(88, menu["message_id"], data="avatar:new")
    answers, edits, rev = [], [], menu["rev"]
    deadline = time.monotonic() + 10
    while not (answers and edits) and time.monotonic() < deadline:  # what a live chat page does
        feed = client.feed(88, since_rev=rev, wait=5)
        rev = feed["rev"]
        answers += feed["callback_answers"]
        edits += [m for m in feed["messages"] if m["message_id"] == menu["message_id"] and m["edits"]]
    assert answers[0]["id"] == pressed_at["callback_query_id"] and answers[0]["answer"]["text"] == "ok"
    edited = edits[-1]
    assert edited["message"]["text"] == "You chose avatar:new" and "reply_markup" not in edited["message"]
    sent = client.send_photos(88, [image(1024, 768), image(700, 900, (0, 0, 200))])
    replies = client.wait_bot_messages(88, after=sent["messages"][-1]["message_id"], count=2)
    group = sent["messages"][0]["message"]["media_group_id"]
    assert sorted(r["message"]["text"].split(",")[0] for r in replies) == ["got 1024px", "got 700px"]
    assert all(r["message"]["text"].endswith(f"group {group}") for r in replies)
    assert all(r["message"]["reply_to_message"]["media_group_id"] == group for r in replies)
    client.wait_idle(quiet=0.05)  # the replies come while the webhook call is still open
    assert {u["status"] for u in client.updates()} == {"delivered"}
