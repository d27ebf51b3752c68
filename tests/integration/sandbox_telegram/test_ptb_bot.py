"""python-telegram-bot 22.8's own ``Bot`` against the stand-in: every method the bot uses, parsed by PTB."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    LabeledPrice,
    MenuButtonCommands,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter

from sandbox.telegram import SandboxClient, TelegramSandbox
from tests.integration.sandbox_telegram.harness import image

T = TypeVar("T")
CHAT = 5151


def with_bot(sandbox: TelegramSandbox, work: Callable[[Bot], Awaitable[T]], token: str | None = None) -> T:
    async def main() -> T:
        bot = Bot(token or sandbox.token, base_url=sandbox.base_url, base_file_url=sandbox.base_file_url)
        async with bot:
            return await work(bot)

    return asyncio.run(main())


def test_get_me_webhook_and_commands(sandbox: TelegramSandbox) -> None:
    async def work(bot: Bot) -> None:
        assert bot.username == "aisha_sandbox_bot" and bot.id == sandbox.config.bot_id
        assert await bot.set_webhook("http://127.0.0.1:9/webhook/telegram", secret_token="s3cr3t_-x",
                                     max_connections=10, allowed_updates=["message", "callback_query",
                                                                          "pre_checkout_query"])
        info = await bot.get_webhook_info()
        assert info.url == "http://127.0.0.1:9/webhook/telegram" and info.max_connections == 10
        assert info.allowed_updates == ("message", "callback_query", "pre_checkout_query")
        assert info.pending_update_count == 0 and not info.has_custom_certificate
        with pytest.raises(Conflict):
            await bot.get_updates()
        assert await bot.delete_webhook(drop_pending_updates=True)
        assert (await bot.get_webhook_info()).url == ""
        assert await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
        assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]

    with_bot(sandbox, work)


def test_profile_settings_round_trip(sandbox: TelegramSandbox) -> None:
    async def work(bot: Bot) -> None:
        assert await bot.set_my_description("Avatars from your photos", language_code="en")
        assert (await bot.get_my_description("en")).description == "Avatars from your photos"
        assert await bot.set_my_short_description("Aisha")
        assert (await bot.get_my_short_description()).short_description == "Aisha"
        assert (await bot.get_my_name()).name == "Aisha (sandbox)"
        assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
        assert isinstance(await bot.get_chat_menu_button(), MenuButtonCommands)

    with_bot(sandbox, work)


def test_unknown_token_is_refused(sandbox: TelegramSandbox) -> None:
    async def work(bot: Bot) -> None:
        await bot.get_me()

    with pytest.raises(InvalidToken):
        with_bot(sandbox, work, token="1234:not-the-right-token")


def test_messages_buttons_edits_and_deletes(sandbox: TelegramSandbox, client: SandboxClient) -> None:
    client.send_text(CHAT, "/start", user={"first_name": "Aisha", "username": "aisha", "language_code": "en"})

    async def work(bot: Bot) -> tuple[Message, Message]:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Create avatar", callback_data="avatar:new")],
                                         [InlineKeyboardButton("Site", url="https://example.org")]])
        menu = await bot.send_message(CHAT, "<b>Menu</b>", parse_mode=ParseMode.HTML, reply_markup=keyboard,
                                      reply_parameters=ReplyParameters(message_id=1))
        assert menu.text == "Menu" and menu.from_user and menu.from_user.is_bot
        assert menu.reply_markup == keyboard and menu.reply_to_message and menu.reply_to_message.text == "/start"
        assert menu.chat.first_name == "Aisha"
        assert await bot.send_chat_action(CHAT, ChatAction.TYPING)
        edited = await bot.edit_message_text("Menu (edited)", CHAT, menu.message_id, reply_markup=keyboard)
        assert isinstance(edited, Message) and edited.edit_date is not None
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await bot.edit_message_text("Menu (edited)", CHAT, menu.message_id, reply_markup=keyboard)
        bare = await bot.edit_message_reply_markup(CHAT, menu.message_id, reply_markup=None)
        assert isinstance(bare, Message) and bare.reply_markup is None
        gone = await bot.send_message(CHAT, "temporary")
        assert await bot.delete_message(CHAT, gone.message_id)
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(999, "nobody")
        again = await bot.send_message(CHAT, "Pick", reply_markup=keyboard)
        return menu, again

    menu, again = with_bot(sandbox, work)
    pressed = client.press(CHAT, again.message_id, data="avatar:new")

    async def answer(bot: Bot) -> None:
        assert await bot.answer_callback_query(pressed["callback_query_id"], text="Let's go")
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await bot.answer_callback_query(pressed["callback_query_id"])

    with_bot(sandbox, answer)
    assert client.callback_query(pressed["callback_query_id"])["answer"]["text"] == "Let's go"
    messages = {m["message_id"]: m for m in client.messages(CHAT)}
    assert [e["text"] for e in messages[menu.message_id]["edits"]] == ["Menu", "Menu (edited)"]
    assert messages[menu.message_id]["message"]["text"] == "Menu (edited)"
    assert [m["deleted"] for m in messages.values()] == [False, False, True, False]
    assert client.chat(CHAT)["last_action"]["action"] == "typing"
    methods = [c["method"] for c in client.calls(chat_id=CHAT)]
    assert methods[:3] == ["sendMessage", "sendChatAction", "editMessageText"]


def test_photos_documents_albums_and_downloads(sandbox: TelegramSandbox, client: SandboxClient) -> None:
    client.send_text(CHAT, "hi")
    picture, other = image(1400, 1000), image(500, 500, (0, 90, 0), "PNG")
    pdf = b"%PDF-1.4 sandbox"

    async def work(bot: Bot) -> None:
        photo = await bot.send_photo(CHAT, picture, caption="<i>result</i>", parse_mode=ParseMode.HTML)
        assert [(p.width, p.height) for p in photo.photo][-1] == (1400, 1000)
        assert photo.caption == "result" and photo.caption_entities[0].type == "italic"
        again = await bot.send_photo(CHAT, photo.photo[-1].file_id)
        assert again.photo == photo.photo
        document = await bot.send_document(CHAT, pdf, filename="terms.pdf")
        assert document.document and document.document.file_name == "terms.pdf"
        assert document.document.mime_type == "application/pdf"
        album = await bot.send_media_group(CHAT, [InputMediaPhoto(picture, caption="first"), InputMediaPhoto(other)])
        assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id is not None
        assert album[0].caption == "first" and album[1].photo[-1].width == 500
        docs = await bot.send_media_group(CHAT, [InputMediaDocument(pdf, filename="a.pdf"),
                                                 InputMediaDocument(document.document.file_id)])
        assert docs[1].document and docs[1].document.file_id == document.document.file_id
        with pytest.raises(BadRequest, match=r"(?i)can't be mixed"):
            await bot.send_media_group(CHAT, [InputMediaPhoto(picture), InputMediaDocument(pdf)])
        with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
            await bot.send_photo(CHAT, b"not an image")
        by_url = await bot.send_photo(CHAT, f"{sandbox.admin_url}/files/{photo.photo[-1].file_id}")
        assert by_url.photo[-1].width == 1400 and by_url.photo[-1].file_id != photo.photo[-1].file_id
        with pytest.raises(BadRequest, match=r"(?i)failed to get HTTP URL content"):
            await bot.send_photo(CHAT, "https://example.org/cat.jpg")
        recaptioned = await bot.edit_message_caption(CHAT, photo.message_id, caption="new caption")
        assert isinstance(recaptioned, Message) and recaptioned.caption == "new caption"
        assert not recaptioned.caption_entities
        swapped = await bot.edit_message_media(InputMediaPhoto(other, caption="page 2"), CHAT, photo.message_id,
                                               reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(
                                                   "Next", callback_data="page:3")]]))
        assert isinstance(swapped, Message) and swapped.photo[-1].width == 500 and swapped.caption == "page 2"
        assert swapped.reply_markup and swapped.edit_date
        sent_file = await bot.get_file(document.document.file_id)
        assert bytes(await sent_file.download_as_bytearray()) == pdf
        largest = await bot.get_file(album[1].photo[-1].file_id)
        assert largest.file_size == album[1].photo[-1].file_size
        assert len(await largest.download_as_bytearray()) == largest.file_size

    with_bot(sandbox, work)
    shown = [m for m in client.messages(CHAT, direction="out")]
    file_id = shown[0]["message"]["photo"][-1]["file_id"]
    assert client.file(file_id)[:2] == b"\xff\xd8"  # kept, as a JPEG, for the chat page
    uploads = client.calls(method="sendPhoto")[0]["files"]
    assert uploads[0]["field"] == "photo" and uploads[0]["size"] == len(picture)


def test_user_uploads_are_downloadable_by_the_bot(sandbox: TelegramSandbox, client: SandboxClient) -> None:
    original = image(800, 1200)
    sent = client.send_documents(CHAT, [(original, "me.jpg", "image/jpeg")], caption="as file")
    document = sent["messages"][0]["message"]["document"]
    assert document["file_name"] == "me.jpg" and document["thumbnail"]["height"] == 320

    async def work(bot: Bot) -> bytes:
        updates = await bot.get_updates()
        assert updates[-1].message and updates[-1].message.document
        assert updates[-1].message.caption == "as file"
        file = await bot.get_file(updates[-1].message.document.file_id)
        return bytes(await file.download_as_bytearray())

    assert with_bot(sandbox, work) == original


def test_get_file_refuses_a_document_over_20_mb(sandbox: TelegramSandbox, client: SandboxClient) -> None:
    big = client.send_documents(CHAT, [(b"\0" * (20 * 1024 * 1024 + 1), "video.mov", "video/quicktime")])
    file_id = big["messages"][0]["message"]["document"]["file_id"]

    async def work(bot: Bot) -> None:
        with pytest.raises(BadRequest, match=r"(?i)file is too big"):
            await bot.get_file(file_id)

    with_bot(sandbox, work)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter's own int/timedelta
def test_injected_faults_and_blocked_users_reach_ptb_as_its_errors(sandbox: TelegramSandbox,
                                                                    client: SandboxClient) -> None:
    client.send_text(CHAT, "/start")
    client.add_fault(429, method="sendMessage", chat_id=CHAT, retry_after=3)
    client.add_fault(500, method="sendPhoto", count=2)

    async def work(bot: Bot) -> None:
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(CHAT, "flood")
        assert flood.value.message == "Flood control exceeded. Retry in 3 seconds"
        assert await bot.send_message(CHAT, "after the flood")
        for _ in range(2):
            with pytest.raises(NetworkError):
                await bot.send_photo(CHAT, image(100, 100))
        assert await bot.send_photo(CHAT, image(100, 100))
        client.block(CHAT)
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await bot.send_message(CHAT, "are you there?")

    with_bot(sandbox, work)
    assert client.chat(CHAT)["blocked"] is True
    client.send_text(CHAT, "/start")
    assert client.chat(CHAT)["blocked"] is False
    updates = client.updates(chat_id=CHAT)
    assert [u["kind"] for u in updates[-3:]] == ["my_chat_member", "my_chat_member", "message"]
    blocked, unblocked = (Update.de_json(u["update"], None).my_chat_member for u in updates[-3:-1])
    assert blocked and blocked.new_chat_member.status == "kicked" and blocked.old_chat_member.status == "member"
    assert unblocked and unblocked.new_chat_member.status == "member"
    assert [f["remaining"] for f in client.faults()] == [0, 0]


def test_stars_invoice_and_pre_checkout_answer(sandbox: TelegramSandbox, client: SandboxClient) -> None:
    client.send_text(CHAT, "/topup")

    async def invoice(bot: Bot) -> Message:
        message = await bot.send_invoice(CHAT, "250 coins", "Top up 250 coins", "topup:250:abc", "XTR",
                                         [LabeledPrice("250 coins", 125)])
        assert message.invoice and message.invoice.currency == "XTR" and message.invoice.total_amount == 125
        return message

    message = with_bot(sandbox, invoice)
    checkout = client.pay(CHAT, message.message_id)

    async def answer(bot: Bot) -> None:
        updates = await bot.get_updates()
        query = updates[-1].pre_checkout_query
        assert query and query.invoice_payload == "topup:250:abc" and query.total_amount == 125
        assert await bot.answer_pre_checkout_query(query.id, ok=True)
        updates = await bot.get_updates(offset=updates[-1].update_id + 1)
        paid = updates[-1].message
        assert paid and paid.successful_payment
        assert paid.successful_payment.telegram_payment_charge_id == client.payment(checkout["id"])[
            "telegram_payment_charge_id"]

    with_bot(sandbox, answer)
    assert client.payment(checkout["id"])["status"] == "paid"
