"""Receiving a Telegram update: secret check, journal, dedupe on update_id, queue for its chat.

A refusal is raised (Unauthorized, ClientError); the handler's edge makes the HTTP answer. An update
with the right secret whose fields the bot cannot use (services/tg_updates.py) is journaled and
parked with the reason at once, and answered 2xx: Telegram would resend it for a day otherwise.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aisha.errors import ClientError, Unauthorized
from aisha.models import EventStatus, Provider, SignatureOutcome, TelegramUpdate
from aisha.services import chat_queue, journal, tg_updates

if TYPE_CHECKING:
    import redis

    from aisha.db import Database

SECRET_HEADER = "x-telegram-bot-api-secret-token"
KEEP_HEADERS = ("content-type", "x-forwarded-for", "user-agent")


@dataclass(frozen=True)
class Receipt:
    """An accepted update: queued for `chat_id` (drain it), a duplicate, ignored (of kind `ignored`),
    or parked as unusable (`parked` is the error code)."""

    chat_id: int | None = None
    duplicate: bool = False
    ignored: str | None = None
    parked: str | None = None


def secret_matches(expected: str | None, headers: Mapping[str, str]) -> bool:
    if not expected:
        return False  # never run open: no secret configured means no update is accepted
    given = next((v for k, v in headers.items() if k.lower() == SECRET_HEADER), None)
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def receive(db: Database, client: redis.Redis, secret: str | None, headers: Mapping[str, str],
            body: bytes) -> Receipt:
    if not secret_matches(secret, headers):
        # nothing from an unauthenticated caller is journaled as an update
        raise Unauthorized("secret token missing or wrong", code="invalid_secret_token")
    try:
        update = TelegramUpdate.from_json(body)
    except ValueError as exc:
        with db.statement() as conn:
            journal.record_rejection(conn, Provider.TELEGRAM, "/webhook/telegram", None, headers, body,
                                     keep_headers=KEEP_HEADERS, signature=SignatureOutcome.VALID,
                                     error_code="malformed_update", error=str(exc))
        raise ClientError("body is not a Telegram update", code="malformed_update") from None
    with db.statement() as conn:
        recorded = journal.record_delivery(conn, Provider.TELEGRAM, "/webhook/telegram", str(update.update_id),
                                           headers, body, keep_headers=KEEP_HEADERS)
    # a repeat of an update still waiting is queued again (the drain skips what is done): if the
    # first push or dispatch failed, Telegram's retry is how it gets through
    if not recorded.first and recorded.event.status is not EventStatus.RECEIVED:
        return Receipt(duplicate=True)
    if (reason := tg_updates.problem(update)) is not None:
        with db.statement() as conn:
            journal.mark(conn, recorded.event.id, EventStatus.PARKED, error_code="malformed_update", error=reason)
        return Receipt(parked="malformed_update")
    chat_id = update.chat_id
    if chat_id is None:
        with db.statement() as conn:
            journal.mark(conn, recorded.event.id, EventStatus.PROCESSED, error_code="no_chat")
        return Receipt(ignored=update.kind)
    chat_queue.push(client, chat_id, recorded.event.id)
    return Receipt(chat_id=chat_id)
