from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import redis
from aisha.services import chat_queue


def test_one_drainer_at_a_time_in_order_and_nothing_lost(services: dict[str, str]) -> None:
    client = redis.Redis.from_url(services["REDIS_URL"])
    chat_id = random.randint(10**9, 2 * 10**9)
    handled: list[int] = []
    active = threading.Semaphore(1)

    def handle(event_id: int) -> None:
        assert active.acquire(blocking=False), "two drainers ran one chat at once"
        time.sleep(0.002)  # the handler's own work, simulated: drainers overlap in it
        handled.append(event_id)
        active.release()

    def producer() -> None:
        for event_id in range(60):
            chat_queue.push(client, chat_id, event_id)
            if event_id % 10 == 0:
                time.sleep(0.01)

    def drainer() -> None:
        for _ in range(40):
            chat_queue.drain(client, chat_id, handle)
            time.sleep(0.005)

    threads = [threading.Thread(target=producer)] + [threading.Thread(target=drainer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    chat_queue.drain(client, chat_id, handle)
    assert handled == list(range(60))
    assert chat_queue.pending(client, chat_id) == 0


def test_a_drainer_takes_over_once_a_dead_drainers_lock_lapses(services: dict[str, str]) -> None:
    client = redis.Redis.from_url(services["REDIS_URL"])
    chat_id = random.randint(10**9, 2 * 10**9)
    client.set(f"aisha:chatq:{chat_id}:lock", "dead-worker", px=300)  # never renewed: its holder is gone
    chat_queue.push(client, chat_id, 7)
    seen: list[int] = []
    started = time.monotonic()
    assert chat_queue.drain(client, chat_id, seen.append) == 1 and seen == [7]
    assert time.monotonic() - started >= 0.25, "it waited for the lock to lapse, it did not steal it"


def test_a_drainer_whose_lock_was_taken_over_stops_and_leaves_the_rest_to_the_new_holder(
        services: dict[str, str]) -> None:
    """Its lock lapsed while it handled an update (it stalled past the lock's life, or Redis lost the key)
    and another drainer holds it now: the stalled one finishes its update and takes no other."""
    client = redis.Redis.from_url(services["REDIS_URL"])
    chat_id = random.randint(10**9, 2 * 10**9)
    lock = f"aisha:chatq:{chat_id}:lock"
    for event_id in (1, 2, 3):
        chat_queue.push(client, chat_id, event_id)
    seen: list[int] = []
    done = threading.Event()

    def new_holder() -> None:  # alive: renews its lock as a draining dispatcher does
        while not done.wait(0.05):
            client.pexpire(lock, 10_000)

    def stall(event_id: int) -> None:
        seen.append(event_id)
        client.set(lock, "the-new-holder", px=10_000)  # as if ours lapsed and was taken meanwhile
        threading.Thread(target=new_holder, daemon=True).start()

    try:
        assert chat_queue.drain(client, chat_id, stall) == 1 and seen == [1]
    finally:
        done.set()
    assert client.get(lock) == b"the-new-holder"  # its release left the new holder's lock alone
    assert client.lrange(f"aisha:chatq:{chat_id}:updates", 0, -1) == [b"2", b"3"]
    assert client.llen(f"aisha:chatq:{chat_id}:inflight") == 0


def test_a_live_holder_keeps_its_lock_through_a_long_update_and_others_leave_it_alone(
        services: dict[str, str]) -> None:
    client = redis.Redis.from_url(services["REDIS_URL"])
    chat_id = random.randint(10**9, 2 * 10**9)
    lock_ms = 600
    inside, release = threading.Event(), threading.Event()
    seen: list[int] = []

    def slow(event_id: int) -> None:  # an update whose handler takes several lock periods
        inside.set()
        release.wait(10)
        seen.append(event_id)

    for event_id in (1, 2):
        chat_queue.push(client, chat_id, event_id)
    holder = threading.Thread(target=chat_queue.drain, args=(client, chat_id, slow), kwargs={"lock_ms": lock_ms})
    holder.start()
    assert inside.wait(10)
    started = time.monotonic()
    # a second drainer sees work waiting, watches the lock, sees it renewed and leaves
    assert chat_queue.drain(client, chat_id, seen.append, lock_ms=lock_ms) == 0
    # it left without waiting for the update, which holds on until released (up to 10 s); how soon within a
    # lock period or two depends on the machine's load, so the bound stays far from that
    assert time.monotonic() - started < 5
    deadline = time.monotonic() + 3 * lock_ms / 1000
    while time.monotonic() < deadline:  # three lock periods inside one update: the heartbeat holds it
        assert client.pttl(f"aisha:chatq:{chat_id}:lock") > 0
        time.sleep(0.05)
    release.set()
    holder.join(10)
    assert seen == [1, 2] and not client.exists(f"aisha:chatq:{chat_id}:lock")


def test_a_short_lock_taken_while_a_long_one_is_held_is_renewed_in_time(services: dict[str, str]) -> None:
    """One thread renews every lock of the process: it must wake for a new lock due before its next renewal."""
    client = redis.Redis.from_url(services["REDIS_URL"])
    long_chat, short_chat = random.sample(range(10**9, 2 * 10**9), 2)
    release = threading.Event()
    inside = {long_chat: threading.Event(), short_chat: threading.Event()}

    def slow(chat_id: int) -> Callable[[int], None]:
        def handle(event_id: int) -> None:
            inside[chat_id].set()
            release.wait(10)
        return handle

    holders = []
    for chat_id, lock_ms in ((long_chat, 30_000), (short_chat, 600)):  # the long one first: renewal in 10 s
        chat_queue.push(client, chat_id, 1)
        holders.append(threading.Thread(target=chat_queue.drain, args=(client, chat_id, slow(chat_id)),
                                        kwargs={"lock_ms": lock_ms}))
        holders[-1].start()
        assert inside[chat_id].wait(10)
    try:
        deadline = time.monotonic() + 3 * 600 / 1000
        while time.monotonic() < deadline:  # three of its periods, well inside the long lock's first one
            assert client.pttl(f"aisha:chatq:{short_chat}:lock") > 0
            time.sleep(0.05)
    finally:
        release.set()
        for holder in holders:
            holder.join(10)
    assert not client.exists(f"aisha:chatq:{long_chat}:lock", f"aisha:chatq:{short_chat}:lock")
