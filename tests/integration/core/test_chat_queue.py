from __future__ import annotations

import random
import threading
import time

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


def test_a_lock_left_by_a_dead_drainer_expires(services: dict[str, str]) -> None:
    client = redis.Redis.from_url(services["REDIS_URL"])
    chat_id = random.randint(10**9, 2 * 10**9)
    client.set(f"aisha:chatq:{chat_id}:lock", "dead-worker", px=300)
    chat_queue.push(client, chat_id, 7)
    seen: list[int] = []
    assert chat_queue.drain(client, chat_id, seen.append) == 0  # held by someone else
    deadline = time.monotonic() + 10
    while client.exists(f"aisha:chatq:{chat_id}:lock"):  # until Redis expires the dead drainer's lock
        assert time.monotonic() < deadline, "the lock never expired"
        time.sleep(0.02)
    assert chat_queue.drain(client, chat_id, seen.append) == 1 and seen == [7]
