"""The Event queue against a real Redis: retries with backoff, parking, replay, reclaim after a crash."""

from __future__ import annotations

import io
import json
import time
from typing import Any

from local_runner.async_events import EventConsumer, EventQueue, EventSettings, EventStore, failed_cli
from local_runner.async_events.records import QueuedEvent
from tests.integration.runner_async.fakes import ScriptedInvoker, eventually, wait_for

SETTLED = {"stream": 0, "pending": 0, "delayed": 0, "failed": 0}


async def _stats(settings: EventSettings) -> dict[str, int]:
    store = EventStore(settings)
    try:
        return await store.stats()
    finally:
        await store.close()


async def _settled(settings: EventSettings, expected: dict[str, int] = SETTLED) -> None:
    """Wait until the queue holds exactly `expected`: with nothing pending or delayed, no attempt can follow."""
    async def matches() -> bool:
        return await _stats(settings) == expected

    await eventually(matches, what=f"queue state {expected}")


def test_event_that_fails_twice_then_succeeds_runs_three_times(event_settings, run) -> None:
    async def scenario() -> None:
        invoker = ScriptedInvoker(fail_times=2)
        queue = EventQueue(settings=event_settings)
        consumer = EventConsumer(None, invoker, settings=event_settings)
        await consumer.start()
        started = time.monotonic()
        await queue.enqueue("fn", b'{"n": 1}', "req-1")
        await wait_for(lambda: invoker.count("req-1") == 3)
        await wait_for(lambda: consumer.busy == 0)
        elapsed = time.monotonic() - started
        await _settled(event_settings)  # acknowledged, no retry delayed: nothing more can happen
        await consumer.stop()
        assert invoker.count("req-1") == 3
        assert all(call == ("fn", b'{"n": 1}', "req-1") for call in invoker.calls)
        assert elapsed >= 0.1 + 0.2  # both backoffs were waited
        assert await _stats(event_settings) == {"stream": 0, "pending": 0, "delayed": 0, "failed": 0}
        await queue.close()

    run(scenario())


def test_event_that_always_fails_is_parked_then_replayed(event_settings, run) -> None:
    env = {"REDIS_URL": event_settings.redis_url, "RUNNER_EVENTS_PREFIX": event_settings.prefix}

    async def park() -> ScriptedInvoker:
        invoker = ScriptedInvoker(fail_times=-1)
        queue = EventQueue(settings=event_settings)
        consumer = EventConsumer(None, invoker, settings=event_settings)
        await consumer.start()
        await queue.enqueue("bad", b"\x00binary\xff", "req-bad")
        await wait_for(lambda: invoker.count("req-bad") == 3)
        await _settled(event_settings, {**SETTLED, "failed": 1})  # parked, none delayed: no fourth attempt
        await consumer.stop()
        await queue.close()
        return invoker

    invoker = run(park())
    assert invoker.count("req-bad") == 3
    assert run(_stats(event_settings))["failed"] == 1

    out = io.StringIO()
    assert failed_cli(["list", "--json"], environ=env, out=out) == 0
    [record] = [json.loads(line) for line in out.getvalue().splitlines()]
    assert record["function_name"] == "bad" and record["request_id"] == "req-bad"
    assert record["attempts"] == 3 and record["last_error"] == "RuntimeError: boom 3"
    assert record["payload"] is None and record["payload_base64"] == "AGJpbmFyef8="
    assert record["first_enqueued_at"] <= record["parked_at"]
    human = io.StringIO()
    assert failed_cli(["list"], environ=env, out=human) == 0
    assert "req-bad  bad  attempts=3" in human.getvalue() and "1 parked event(s)" in human.getvalue()

    out = io.StringIO()
    assert failed_cli(["replay", "req-bad"], environ=env, out=out) == 0
    assert "replayed req-bad" in out.getvalue()
    err = io.StringIO()
    assert failed_cli(["replay", "req-bad"], environ=env, out=io.StringIO(), err=err) == 1
    assert "no parked event" in err.getvalue()

    async def after_replay() -> None:
        invoker = ScriptedInvoker(fail_times=0)
        consumer = EventConsumer(None, invoker, settings=event_settings)
        await consumer.start()
        await wait_for(lambda: invoker.count("req-bad") == 1)
        await wait_for(lambda: consumer.busy == 0)
        await consumer.stop()
        assert invoker.calls == [("bad", b"\x00binary\xff", "req-bad")]

    run(after_replay())
    assert run(_stats(event_settings)) == {"stream": 0, "pending": 0, "delayed": 0, "failed": 0}


def test_replay_all(event_settings, run) -> None:
    env = {"REDIS_URL": event_settings.redis_url, "RUNNER_EVENTS_PREFIX": event_settings.prefix}

    async def park_two() -> None:
        invoker = ScriptedInvoker(fail_times=-1)
        settings = event_settings.with_(backoff=())  # one attempt only
        queue = EventQueue(settings=settings)
        consumer = EventConsumer(None, invoker, settings=settings)
        await consumer.start()
        await queue.enqueue("a", b"1", "r1")
        await queue.enqueue("b", b"2", "r2")
        await wait_for(lambda: len(invoker.calls) == 2)
        await wait_for(lambda: consumer.busy == 0)
        await consumer.stop()
        await queue.close()

    run(park_two())
    assert run(_stats(event_settings))["failed"] == 2
    out = io.StringIO()
    assert failed_cli(["replay", "--all"], environ=env, out=out) == 0
    assert "2 event(s) replayed" in out.getvalue()
    stats = run(_stats(event_settings))
    assert stats["failed"] == 0 and stats["stream"] == 2


def test_event_of_a_dead_consumer_is_reclaimed_by_another(event_settings, run) -> None:
    async def scenario() -> None:
        dead = event_settings.with_(consumer="dead-instance")
        queue = EventQueue(settings=event_settings)
        await queue.enqueue("fn", b"{}", "req-orphan")
        # An instance reads the event and dies before acknowledging it: it stays pending under its name.
        store = EventStore(dead)
        await store.ensure_group("fn")
        read_at = time.monotonic()  # before the read: Redis stamps the delivery while serving it
        [taken] = await store.read_new("fn", 10, 10)
        assert taken.request_id == "req-orphan"
        await store.close()

        invoker = ScriptedInvoker(fail_times=0)
        alive = EventConsumer(None, invoker, settings=event_settings.with_(consumer="alive-instance"))
        await alive.start()
        await wait_for(lambda: invoker.count("req-orphan") == 1, timeout=5)
        # not before it was idle that long (Redis counts idle time in whole milliseconds: 1 ms of slack)
        assert invoker.called_at[0] - read_at >= event_settings.claim_idle - 0.001
        await wait_for(lambda: alive.busy == 0)
        await alive.stop()
        assert await _stats(event_settings) == {"stream": 0, "pending": 0, "delayed": 0, "failed": 0}
        await queue.close()

    run(scenario())


def test_an_idle_consumer_looks_for_orphans_every_quarter_of_claim_idle_not_every_poll(event_settings, run) -> None:
    """Between the polls that promote due retries, a function whose pending list had nothing to reclaim is
    not asked again until a quarter of claim_idle has passed (the reclaim tests above: orphans still are)."""
    async def scenario() -> None:
        settings = event_settings.with_(claim_idle=2.0, poll=0.02, consumer="idle")
        consumer = EventConsumer(None, ScriptedInvoker(), settings=settings, functions=["fn"])
        polls: list[float] = []
        looks: list[float] = []
        promote, reclaim = consumer.store.promote_due, consumer.store.reclaim

        async def counted_promote() -> int:
            polls.append(time.monotonic())
            return await promote()

        async def counted_reclaim(function_name: str, count: int) -> list[Any]:
            looks.append(time.monotonic())
            return await reclaim(function_name, count)

        consumer.store.promote_due = counted_promote  # type: ignore[method-assign]
        consumer.store.reclaim = counted_reclaim  # type: ignore[method-assign]
        await consumer.start()
        await wait_for(lambda: len(polls) >= 20)
        span = polls[-1] - polls[0]
        assert len(looks) <= 1 + span / (settings.claim_idle / 4), (len(polls), looks)
        await consumer.stop()

    run(scenario())


def test_long_event_is_not_stolen_while_its_consumer_lives(event_settings, run) -> None:
    async def scenario() -> None:
        settings = event_settings.with_(claim_idle=1.0)  # refreshed every third of that
        slow = ScriptedInvoker(fail_times=0, hold=2.5)  # much longer than claim_idle
        other = ScriptedInvoker(fail_times=0)
        queue = EventQueue(settings=settings)
        first = EventConsumer(None, slow, settings=settings.with_(consumer="first"))
        await first.start()
        await queue.enqueue("fn", b"{}", "req-long")
        await wait_for(lambda: slow.started.is_set())
        second = EventConsumer(None, other, settings=settings.with_(consumer="second"))
        await second.start()
        await wait_for(lambda: first.busy == 0, timeout=5)
        await _settled(settings)  # acknowledged: nothing left that the second could take
        await first.stop()
        await second.stop()
        assert slow.count("req-long") == 1 and other.calls == []
        await queue.close()

    run(scenario())


def test_two_consumers_share_the_work_once(event_settings, run) -> None:
    async def scenario() -> None:
        a, b = ScriptedInvoker(hold=0.02), ScriptedInvoker(hold=0.02)
        queue = EventQueue(settings=event_settings)
        consumers = [EventConsumer(None, a, settings=event_settings.with_(consumer="a")),
                     EventConsumer(None, b, settings=event_settings.with_(consumer="b"))]
        for c in consumers:
            await c.start()
        for i in range(40):
            await queue.enqueue("fn", b"{}", f"r{i}")
        await wait_for(lambda: len(a.calls) + len(b.calls) == 40)
        await _settled(event_settings)  # all acknowledged: no entry left to be run twice
        for c in consumers:
            await c.stop()
        ids = sorted(rid or "" for _f, _p, rid in a.calls + b.calls)
        assert ids == sorted(f"r{i}" for i in range(40))
        assert a.calls and b.calls
        await queue.close()

    run(scenario())


def test_consumers_of_gone_instances_are_forgotten_when_they_own_nothing(event_settings, run) -> None:
    async def scenario() -> None:
        gone = EventStore(event_settings.with_(consumer="gone"))
        busy = EventStore(event_settings.with_(consumer="busy"))
        me = EventStore(event_settings.with_(consumer="me"))
        queue = EventQueue(settings=event_settings)
        await queue.enqueue("fn", b"{}", "done")
        await queue.enqueue("fn", b"{}", "kept")
        [done] = await gone.read_new("fn", 1, 5)
        assert await gone.ack(done)  # "gone" ran its event and left: nothing pending
        assert len(await busy.read_new("fn", 1, 5)) == 1  # "busy" owns an entry: it must stay
        await queue.close()

        async def gone_idle() -> bool:
            consumers = await me.redis.xinfo_consumers(event_settings.stream("fn"), "runners")
            return any(c["name"] == b"gone" and c["idle"] > 10 for c in consumers)  # idle in ms

        await eventually(gone_idle, what="'gone' idle for 10 ms")
        assert await me.prune_consumers(0.01) == ["gone"]
        names = [c["name"].decode() for c in await me.redis.xinfo_consumers(event_settings.stream("fn"), "runners")]
        assert names == ["busy"]
        for store in (gone, busy, me):
            await store.close()

    run(scenario())


def test_many_orphans_are_all_reclaimed_one_at_a_time(event_settings, run) -> None:
    async def scenario() -> None:
        queue = EventQueue(settings=event_settings)
        for i in range(4):
            await queue.enqueue("fn", b"{}", f"orphan-{i}")
        dead = EventStore(event_settings.with_(consumer="dead"))
        await dead.ensure_group("fn")
        assert len(await dead.read_new("fn", 10, 10)) == 4
        await dead.close()
        invoker = ScriptedInvoker()
        alive = EventConsumer(None, invoker, settings=event_settings.with_(consumer="alive", concurrency=1))
        await alive.start()
        await wait_for(lambda: len(invoker.calls) == 4, timeout=10)
        await wait_for(lambda: alive.busy == 0)
        await alive.stop()
        assert sorted(rid or "" for _f, _p, rid in invoker.calls) == [f"orphan-{i}" for i in range(4)]
        assert await _stats(event_settings) == {"stream": 0, "pending": 0, "delayed": 0, "failed": 0}
        await queue.close()

    run(scenario())


def test_a_stopping_consumer_finishes_its_event_without_it_being_stolen(event_settings, run) -> None:
    async def scenario() -> None:
        settings = event_settings.with_(claim_idle=1.0)
        slow, other = ScriptedInvoker(hold=2.5), ScriptedInvoker()
        queue = EventQueue(settings=settings)
        leaving = EventConsumer(None, slow, settings=settings.with_(consumer="leaving"))
        staying = EventConsumer(None, other, settings=settings.with_(consumer="staying"))
        await leaving.start()
        await queue.enqueue("fn", b"{}", "req-drain")
        await wait_for(lambda: slow.started.is_set())
        await staying.start()
        await leaving.stop()  # drains: waits for the running event, refreshing it meanwhile
        await _settled(settings)  # acknowledged by the leaving one: nothing left to steal
        await staying.stop()
        assert slow.count("req-drain") == 1 and other.calls == []
        assert await _stats(settings) == {"stream": 0, "pending": 0, "delayed": 0, "failed": 0}
        await queue.close()

    run(scenario())


def test_one_functions_backlog_does_not_delay_another(event_settings, run) -> None:
    async def scenario() -> None:
        settings = event_settings.with_(concurrency=2)
        queue = EventQueue(settings=settings)
        for i in range(200):  # a backlog of 200 half-second events: 50 s of work at two at a time
            await queue.enqueue("backlogged", b"{}", f"b{i}")
        invoker = ScriptedInvoker(holds={"backlogged": 0.5})
        consumer = EventConsumer(None, invoker, settings=settings)
        await consumer.start()
        await wait_for(lambda: invoker.count("b0") == 1)
        await queue.enqueue("other", b"{}", "urgent")
        await wait_for(lambda: invoker.count("urgent") == 1, timeout=5)
        order = [rid for _f, _p, rid in invoker.calls]
        assert order.index("urgent") <= 4  # behind at most the backlog's events already running
        await consumer.stop()
        await queue.close()

    run(scenario())


def test_entries_of_the_earlier_single_stream_are_moved_and_run(event_settings, run) -> None:
    async def scenario() -> None:
        from local_runner.async_events.records import QueuedEvent

        store = EventStore(event_settings)
        for fn, rid in (("fn", "old-1"), ("other", "old-2")):  # as an earlier version queued them
            event = QueuedEvent(function_name=fn, payload=b"{}", request_id=rid)
            await store.redis.xadd(event_settings.single_stream, event.fields())  # type: ignore[arg-type]
        invoker = ScriptedInvoker()
        consumer = EventConsumer(None, invoker, settings=event_settings)
        await consumer.start()
        await wait_for(lambda: invoker.count("old-1") == 1 and invoker.count("old-2") == 1)
        await wait_for(lambda: consumer.busy == 0)
        await consumer.stop()
        assert not await store.redis.exists(event_settings.single_stream)
        await store.close()
        assert await _stats(event_settings) == {"stream": 0, "pending": 0, "delayed": 0, "failed": 0}

    run(scenario())


def test_an_added_event_is_on_its_functions_stream_whole_and_its_function_is_known(event_settings, run) -> None:
    """The add is one script (XADD and the functions set): every field, the binary payload byte for byte."""
    async def scenario() -> None:
        store = EventStore(event_settings)
        try:
            await store.ensure_group("fn-a")
            event = QueuedEvent("fn-a", b"\x00\xffpayload", "req-add", attempt=2, last_error="boom")
            entry_id = await store.add(event)
            assert await store.function_names() == ["fn-a"]
            read = await store.read_new("fn-a", 10, 100)
            assert [(e.entry_id, e.function_name, e.payload, e.request_id, e.attempt, e.last_error) for e in read] \
                == [(entry_id, "fn-a", b"\x00\xffpayload", "req-add", 2, "boom")]
        finally:
            await store.close()

    run(scenario())
