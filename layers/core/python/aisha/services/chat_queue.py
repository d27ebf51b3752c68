"""Per-chat ordering of Telegram updates on Redis.

The webhook appends each new update to its chat's list; whoever holds the chat's lock drains the
list in order, one update at a time. A failing update is recorded and skipped, so it never blocks
the chat; one whose handling itself failed goes back to the head of the list (`push_front`) before
the error goes up. The lock expires on its own if its holder dies.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis


_PREFIX = "aisha:chatq"
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def _queue(chat_id: int) -> str:
    return f"{_PREFIX}:{chat_id}:updates"


def _lock(chat_id: int) -> str:
    return f"{_PREFIX}:{chat_id}:lock"


def push(client: redis.Redis, chat_id: int, event_id: int) -> None:
    client.rpush(_queue(chat_id), str(event_id))


def push_front(client: redis.Redis, chat_id: int, event_id: int) -> None:
    """Put a popped update back first in line (its dispatch failed before it was recorded)."""
    client.lpush(_queue(chat_id), str(event_id))


def pending(client: redis.Redis, chat_id: int) -> int:
    return int(client.llen(_queue(chat_id)))  # type: ignore[arg-type]


def drain(client: redis.Redis, chat_id: int, handle: Callable[[int], None], *, lock_ms: int = 120_000,
          max_updates: int = 500) -> int:
    """Handle this chat's queued updates in order if no one else is; returns how many were handled."""
    handled = 0
    while handled < max_updates:
        token = secrets.token_hex(8)
        if not client.set(_lock(chat_id), token, nx=True, px=lock_ms):
            return handled  # another worker drains this chat; it will see what we pushed
        try:
            while handled < max_updates:
                raw = client.lpop(_queue(chat_id))
                if not isinstance(raw, bytes | str):
                    break
                handle(int(raw))  # raises only after putting the update back (push_front)
                handled += 1
                client.pexpire(_lock(chat_id), lock_ms)
        finally:
            client.eval(_RELEASE, 1, _lock(chat_id), token)
        if pending(client, chat_id) == 0:  # pushed between our last pop and the release?
            return handled
    return handled
