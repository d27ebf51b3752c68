"""Per-chat ordering of Telegram updates on Redis.

The webhook appends each new update to its chat's list; whoever holds the chat's lock drains the
list in order, one update at a time. A failing update is recorded and skipped, so it never blocks
the chat. The update being handled is moved, not popped, onto the chat's in-flight list (LMOVE) and
dropped from it only once handled: if handling raises, it goes back to the head of the queue before the
error goes up; if the drainer is killed, the next one (once the lock has expired) puts it back first.
The lock expires on its own if its holder dies.
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


def _in_flight(chat_id: int) -> str:
    return f"{_PREFIX}:{chat_id}:inflight"


def _lock(chat_id: int) -> str:
    return f"{_PREFIX}:{chat_id}:lock"


def push(client: redis.Redis, chat_id: int, event_id: int) -> None:
    client.rpush(_queue(chat_id), str(event_id))


def pending(client: redis.Redis, chat_id: int) -> int:
    return int(client.llen(_queue(chat_id)))  # type: ignore[arg-type]


def _put_back(client: redis.Redis, chat_id: int) -> None:
    """What a drainer was handling when it failed or died goes back to the head of the queue."""
    while client.lmove(_in_flight(chat_id), _queue(chat_id), "RIGHT", "LEFT") is not None:
        pass


def drain(client: redis.Redis, chat_id: int, handle: Callable[[int], None], *, lock_ms: int = 120_000,
          max_updates: int = 500) -> int:
    """Handle this chat's queued updates in order if no one else is; returns how many were handled.

    `handle` records failures itself; when it raises, its update goes back first in line and the
    error goes up (the caller's invocation is retried)."""
    handled = 0
    while handled < max_updates:
        token = secrets.token_hex(8)
        if not client.set(_lock(chat_id), token, nx=True, px=lock_ms):
            return handled  # another worker drains this chat; it will see what we pushed
        try:
            _put_back(client, chat_id)  # a drainer before us died mid-update: that one goes first
            while handled < max_updates:
                raw = client.lmove(_queue(chat_id), _in_flight(chat_id), "LEFT", "RIGHT")
                if not isinstance(raw, bytes | str):
                    break
                event_id = int(raw)
                try:
                    handle(event_id)
                except BaseException:
                    _put_back(client, chat_id)
                    raise
                client.lrem(_in_flight(chat_id), 1, str(event_id))
                handled += 1
                client.pexpire(_lock(chat_id), lock_ms)
        finally:
            client.eval(_RELEASE, 1, _lock(chat_id), token)
        if pending(client, chat_id) == 0:  # pushed between our last pop and the release?
            return handled
    return handled
