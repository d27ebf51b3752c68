"""Simulated users: what a person does in the chat becomes a stored message and an update for the bot."""

from __future__ import annotations

import asyncio
import copy
import secrets
from typing import TYPE_CHECKING, Any

from .delivery import ALL_UPDATE_KINDS, UpdateRecord
from .errors import AdminError
from .files import NotAnImage, photo_variants
from .formatting import command_entities
from .interactions import CallbackQuery, Checkout
from .state import ChatRecord, MessageRecord

if TYPE_CHECKING:
    from .core import SandboxCore

Profile = dict[str, Any] | None


class UserSimulator:
    def __init__(self, core: SandboxCore) -> None:
        self.core = core

    def _chat(self, chat_id: int, profile: Profile) -> ChatRecord:
        if chat_id <= 0:
            raise AdminError(400, "bad_chat_id", "private chats have positive ids (the user's id)")
        chat = self.core.state.ensure_user(chat_id, profile)
        if chat.blocked:
            self.set_blocked(chat_id, False)  # writing to the bot again unblocks it, as in Telegram
        return chat

    def set_blocked(self, chat_id: int, blocked: bool) -> UpdateRecord | None:
        """The user blocks or unblocks the bot; Telegram tells the bot with a my_chat_member update."""
        chat = self.core.state.chats.get(chat_id)
        if chat is None:
            raise AdminError(404, "chat_not_found", "no such chat")
        if chat.blocked == blocked:
            return None
        chat.blocked = blocked
        self.core.state.touch()
        bot = self.core.bot_user()
        member, kicked = {"status": "member", "user": bot}, {"status": "kicked", "user": bot, "until_date": 0}
        payload = {"chat": chat.chat(), "from": dict(chat.user), "date": self.core.state.now(),
                   "old_chat_member": member if blocked else kicked, "new_chat_member": kicked if blocked else member}
        return self.core.dispatcher.enqueue("my_chat_member", payload, chat_id)

    def _post(self, chat: ChatRecord, fields: dict[str, Any]) -> tuple[UpdateRecord, MessageRecord]:
        record = self.core.state.add_message(chat, "in", fields, dict(chat.user))
        update = self.core.dispatcher.enqueue("message", copy.deepcopy(record.message), chat.chat_id)
        return update, record

    def _reply(self, chat: ChatRecord, reply_to: int | None) -> dict[str, Any]:
        if reply_to is None:
            return {}
        target = chat.messages.get(int(reply_to))
        if target is None:
            raise AdminError(404, "message_not_found", f"no message {reply_to} in chat {chat.chat_id}")
        return {"reply_to_message": {k: v for k, v in target.message.items() if k != "reply_to_message"}}

    def send_text(self, chat_id: int, text: str, profile: Profile = None,
                  reply_to: int | None = None) -> tuple[UpdateRecord, MessageRecord]:
        """The user types ``text`` (a "/command" gets its bot_command entity)."""
        if not text.strip():
            raise AdminError(400, "empty_text", "text is empty")
        chat = self._chat(chat_id, profile)
        fields: dict[str, Any] = {"text": text, **self._reply(chat, reply_to)}
        if entities := command_entities(text):
            fields["entities"] = entities
        return self._post(chat, fields)

    def send_fields(self, chat_id: int, fields: dict[str, Any],
                    profile: Profile = None) -> tuple[UpdateRecord, MessageRecord]:
        """Any other message (sticker, voice, location...): the given Bot API fields, stored and delivered."""
        reserved = {"message_id", "from", "chat", "date"} & set(fields)
        if reserved:
            raise AdminError(400, "reserved_field", f"set by the sandbox: {sorted(reserved)}")
        return self._post(self._chat(chat_id, profile), dict(fields))

    def send_update(self, kind: str, payload: dict[str, Any], chat_id: int) -> UpdateRecord:
        """A raw update of any kind, delivered as given (for kinds the sandbox does not model)."""
        if kind not in ALL_UPDATE_KINDS:
            raise AdminError(400, "bad_kind", f"{kind!r} is not an update kind of the Bot API")
        return self.core.dispatcher.enqueue(kind, payload, chat_id)

    def press_button(self, chat_id: int, message_id: int, data: str | None = None,
                     text: str | None = None) -> tuple[UpdateRecord, str]:
        """The user presses the inline button with this callback_data (or this label) under a bot message."""
        chat = self._chat(chat_id, None)
        record = chat.messages.get(message_id)
        if record is None or record.deleted or record.direction != "out":
            raise AdminError(404, "message_not_found", f"no bot message {message_id} in chat {chat_id}")
        rows = (record.message.get("reply_markup") or {}).get("inline_keyboard") or []
        buttons = [b for row in rows for b in row if "callback_data" in b]
        match = [b for b in buttons if (data is not None and b["callback_data"] == data) or
                 (data is None and text is not None and b["text"] == text)]
        if not match:
            raise AdminError(404, "button_not_found", f"message {message_id} has no callback button {data or text!r}")
        query_id = str(secrets.randbits(62))
        callback = match[0]["callback_data"]
        self.core.callback_queries[query_id] = CallbackQuery(query_id, chat_id, message_id, callback,
                                                             self.core.state.clock())
        payload = {"id": query_id, "from": dict(chat.user), "message": copy.deepcopy(record.message),
                   "chat_instance": str(-(10**18) + chat_id), "data": callback}
        return self.core.dispatcher.enqueue("callback_query", payload, chat_id), query_id

    async def send_photos(self, chat_id: int, images: list[bytes], caption: str | None = None,
                          profile: Profile = None) -> list[tuple[UpdateRecord, MessageRecord]]:
        """One photo, or an album (2-10) whose messages share a media_group_id, each its own update."""
        if not 1 <= len(images) <= 10:
            raise AdminError(400, "bad_album", "send 1 to 10 photos at a time")
        try:  # resizing is CPU work: off the loop, so deliveries and calls go on meanwhile
            variants = await asyncio.to_thread(lambda: [photo_variants(data) for data in images])
        except NotAnImage as exc:
            raise AdminError(400, "not_an_image", f"not an image: {exc}") from None
        sizes = [self.core.files.store_photo(v) for v in variants]
        return self._album(chat_id, [{"photo": s} for s in sizes], caption, profile)

    def send_documents(self, chat_id: int, documents: list[tuple[bytes, str | None, str | None]],
                       caption: str | None = None, profile: Profile = None) -> list[tuple[UpdateRecord, MessageRecord]]:
        """Files sent "as file" (uncompressed photos too): (bytes, file name, MIME type) each."""
        if not 1 <= len(documents) <= 10:
            raise AdminError(400, "bad_album", "send 1 to 10 documents at a time")
        docs = [{"document": self.core.files.add_document(data, name, mime)} for data, name, mime in documents]
        return self._album(chat_id, docs, caption, profile)

    def _album(self, chat_id: int, items: list[dict[str, Any]], caption: str | None,
               profile: Profile) -> list[tuple[UpdateRecord, MessageRecord]]:
        chat = self._chat(chat_id, profile)
        group = {"media_group_id": str(10**17 + secrets.randbelow(9 * 10**17))} if len(items) > 1 else {}
        sent = []
        for index, fields in enumerate(items):
            extra = {"caption": caption} if caption and index == 0 else {}
            sent.append(self._post(chat, {**fields, **group, **extra}))
        return sent

    def pay(self, chat_id: int, message_id: int) -> Checkout:
        """The user presses Pay under an invoice: a pre_checkout_query goes to the bot."""
        chat = self._chat(chat_id, None)
        invoice = self.core.invoices.get((chat_id, message_id))
        if invoice is None:
            raise AdminError(404, "invoice_not_found", f"message {message_id} in chat {chat_id} is not an invoice")
        query_id = str(secrets.randbits(62))
        checkout = Checkout(query_id, chat_id, message_id, invoice, invoice["payload"], self.core.state.clock(),
                            rev=self.core.state.touch())
        self.core.checkouts[query_id] = checkout
        payload = {"id": query_id, "from": dict(chat.user), "currency": invoice["currency"],
                   "total_amount": invoice["total_amount"], "invoice_payload": invoice["payload"]}
        checkout.update_ids.append(self.core.dispatcher.enqueue("pre_checkout_query", payload, chat_id).update_id)
        return checkout

    def complete_payment(self, checkout: Checkout) -> None:
        """The bot said ok: Telegram charges the Stars and posts the successful_payment message."""
        checkout.status = "paid"
        checkout.rev = self.core.state.touch()
        checkout.telegram_payment_charge_id = "stxs" + secrets.token_urlsafe(48)
        payment = {"currency": checkout.invoice["currency"], "total_amount": checkout.invoice["total_amount"],
                   "invoice_payload": checkout.payload,
                   "telegram_payment_charge_id": checkout.telegram_payment_charge_id,
                   "provider_payment_charge_id": ""}
        chat = self._chat(checkout.chat_id, None)
        update, _ = self._post(chat, {"successful_payment": payment})
        checkout.update_ids.append(update.update_id)
