"""Per-chat ordering of Telegram updates on Redis.

The webhook appends each new update to its chat's list; whoever holds the chat's lock drains the
list in order, one update at a time. A failing update is recorded and skipped, so it never blocks
the chat. The update being handled is moved, not popped, onto the chat's in-flight list (LMOVE) and
dropped from it only once handled: if handling raises, it goes back to the head of the queue before the
error goes up; if the drainer is killed, the next one (once the lock has expired) puts it back first.
The lock is short (LOCK_MS) and renewed by its holder while it handles an update (one renewing
thread per process) and between updates, so it lapses soon after its holder dies; a holder that finds its
lock lapsed and taken over stops after the update it was handling. A drainer that finds the lock taken while
updates wait watches it: renewed means its holder is alive and will see them; lapsed means the holder died,
and this drainer takes over (the updates of a killed dispatcher wait seconds, not until a sweep).
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis


_PREFIX = "aisha:chatq"
LOCK_MS = 10_000  # a dead holder's lock lapses within this; a live one renews it every third of it
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
# KEYS of the scripts below: lock, queue, in-flight. What a drainer was handling when it failed or died goes
# back to the head of the queue, in its order.
_PUT_BACK = """
while redis.call('lmove', KEYS[3], KEYS[2], 'RIGHT', 'LEFT') do end
"""
# Take the lock; put back what a dead drainer left in flight; move the first update in flight: its id, 0 when
# the queue is empty, -1 when another holds the lock.
_TAKE = """
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
""" + _PUT_BACK + """
return redis.call('lmove', KEYS[2], KEYS[3], 'LEFT', 'RIGHT') or 0
"""
# ARGV: token, lock ms, the update just handled, 1 to take the next. Drop the handled update; if the lock is
# still ours, renew it and move the next update in flight (answered as _TAKE answers).
_NEXT = """
redis.call('lrem', KEYS[3], 1, ARGV[3])
if redis.call('get', KEYS[1]) ~= ARGV[1] then return -1 end
redis.call('pexpire', KEYS[1], ARGV[2])
if ARGV[4] ~= '1' then return 0 end
return redis.call('lmove', KEYS[2], KEYS[3], 'LEFT', 'RIGHT') or 0
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
    return int(client.llen(_queue(chat_id)))


def _keys(chat_id: int) -> tuple[str, str, str]:
    return _lock(chat_id), _queue(chat_id), _in_flight(chat_id)


def _waiting(client: redis.Redis, chat_id: int) -> bool:
    return bool(client.llen(_queue(chat_id)) or client.llen(_in_flight(chat_id)))


def _holder_alive(client: redis.Redis, chat_id: int, lock_ms: int, poll: float = 0.2) -> bool:
    """Watch a taken lock: True once its holder renews it (alive: it will see what waits), False once
    it lapses or is released (free to take)."""
    deadline = time.monotonic() + lock_ms / 1000 + 1.0
    last = int(client.pttl(_lock(chat_id)))
    while time.monotonic() < deadline:
        if last < 0:  # -2: gone; -1 (no expiry) never comes from this module
            return False
        time.sleep(poll)
        now = int(client.pttl(_lock(chat_id)))
        if now > last:
            return True
        last = now
    return True  # still held after a whole lock period: someone holds it on purpose


@dataclass(slots=True)
class _Held:
    client: redis.Redis
    chat_id: int
    lock_ms: int
    due: float  # monotonic time of its next renewal


class _Renewals:
    """One thread per process renews every chat lock held in it, each every third of its life: a thread of
    its own per update cost 240 us of CPU to start and join, about a seventh of tg_dispatch's per update.
    A renewal that comes after its lock was released or taken over does nothing (the script checks the
    token)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held: dict[str, _Held] = {}
        self._next_due = math.inf
        self._thread: threading.Thread | None = None

    @contextmanager
    def keep(self, client: redis.Redis, chat_id: int, token: str, lock_ms: int) -> Iterator[None]:
        with self._cond:
            held = self._held[token] = _Held(client, chat_id, lock_ms, time.monotonic() + lock_ms / 3000)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="chat-lock-renewals", daemon=True)
                self._thread.start()
            elif held.due < self._next_due:  # it sleeps past this lock's first renewal
                self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                del self._held[token]

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    now = time.monotonic()
                    due = [(token, held) for token, held in self._held.items() if held.due <= now]
                    for _, held in due:
                        held.due = now + held.lock_ms / 3000
                    self._next_due = min((held.due for held in self._held.values()), default=math.inf)
                    if due:
                        break
                    self._cond.wait(None if self._next_due == math.inf else self._next_due - now)
            for token, held in due:  # outside the lock: a slow Redis never holds up keep()
                try:
                    held.client.eval(_RENEW, 1, _lock(held.chat_id), token, str(held.lock_ms))
                except Exception:  # Redis away for a moment: the next renewal tries again
                    continue


_renewals = _Renewals()


def drain(client: redis.Redis, chat_id: int, handle: Callable[[int], None], *, lock_ms: int = LOCK_MS,
          max_updates: int = 500) -> int:
    """Handle this chat's queued updates in order if no one else is; returns how many were handled.

    `handle` records failures itself; when it raises, its update goes back first in line and the
    error goes up (the caller's invocation is retried). Each step between two updates is one round trip
    (_TAKE, _NEXT, then the release with the last look at the queue): eight were about a quarter of
    tg_dispatch's CPU per update."""
    handled = 0
    keys = _keys(chat_id)
    while handled < max_updates:
        token = secrets.token_hex(8)
        raw = client.eval(_TAKE, 3, *keys, token, str(lock_ms))
        if raw == -1:
            if _waiting(client, chat_id) and not _holder_alive(client, chat_id, lock_ms):
                continue  # its holder died: take over
            return handled  # another worker drains this chat; it will see what we pushed
        try:
            while isinstance(raw, bytes | str):
                event_id = int(raw)
                try:
                    with _renewals.keep(client, chat_id, token, lock_ms):
                        handle(event_id)
                except BaseException:
                    client.eval(_PUT_BACK, 3, *keys)
                    raise
                handled += 1
                # -1: the lock lapsed and may have been taken over; the queue is looked at again below
                raw = client.eval(_NEXT, 3, *keys, token, str(lock_ms), str(event_id),
                                  "1" if handled < max_updates else "0")
        finally:
            pipe = client.pipeline(transaction=False)
            pipe.eval(_RELEASE, 1, keys[0], token)
            pipe.llen(keys[1])  # pushed between our last look and the release?
            _, left = pipe.execute()
        if not left:
            return handled
    return handled
