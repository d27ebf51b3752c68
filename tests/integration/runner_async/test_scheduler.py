"""Schedules against a real Redis: two schedulers (two runner instances) fire each period once."""

from __future__ import annotations

import asyncio
import json

from local_runner.async_events import EventConsumer, EventStore, ScheduledFunction, Scheduler
from tests.integration.runner_async.fakes import ScriptedInvoker, wait_for

T0 = 1_800_000_000.0  # a minute boundary (divisible by 60)


class CountingClock:
    """A settable clock that counts its reads: each scheduler tick reads it, so reads prove ticks."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now

    async def ticks(self, count: int) -> None:
        start = self.reads
        await wait_for(lambda: self.reads >= start + count)


def test_rate_schedule_fires_once_per_period_across_two_schedulers(event_settings, run) -> None:
    schedules = [ScheduledFunction("tick", "rate(1 minute)", name="tick-every-minute")]

    async def scenario() -> list[int]:
        fake = ScriptedInvoker()
        clock_a, clock_b = CountingClock(T0 + 5), CountingClock(T0 + 5)
        a = Scheduler(None, fake, schedules, settings=event_settings.with_(consumer="a"), tick=0.02, clock=clock_a)
        b = Scheduler(None, fake, schedules, settings=event_settings.with_(consumer="b"), tick=0.02, clock=clock_b)
        await a.start()
        await b.start()

        async def both_tick_at(now: float) -> None:  # many ticks of both at this time
            clock_a.now = clock_b.now = now
            await asyncio.gather(clock_a.ticks(10), clock_b.ticks(10))

        await both_tick_at(T0 + 5)
        await both_tick_at(T0 + 59)  # still the first period
        await both_tick_at(T0 + 61)  # the next period
        await a.stop()
        await b.stop()
        store = EventStore(event_settings)
        entries = [e for name in await store.function_names()
                   for e in await store.redis.xrange(event_settings.stream(name))]
        await store.close()
        assert fake.calls == []  # durable: fired as Event invocations on the queue, not called here
        return [len(entries)]

    assert run(scenario()) == [2]


def test_fired_schedule_runs_through_the_consumer_with_eventbridge_event(event_settings, run) -> None:
    schedules = [ScheduledFunction("tick", "cron(0/5 * * * ? *)", name="five"),
                 ScheduledFunction("tock", "rate(5 minutes)", input={"k": 1}, name="with-input")]

    async def scenario() -> None:
        invoker = ScriptedInvoker()
        consumer = EventConsumer(None, invoker, settings=event_settings)
        await consumer.start()
        sched = Scheduler(None, invoker, schedules, settings=event_settings)
        fired = await sched.run_due(T0 + 10)  # T0 is at minute 0 of an hour: cron matches
        assert sorted(f.function_name for f in fired) == ["tick", "tock"]
        assert await sched.run_due(T0 + 20) == []  # same minute / same period
        assert [f.function_name for f in await sched.run_due(T0 + 60)] == []  # minute 1: no; rate: same period
        assert [f.function_name for f in await sched.run_due(T0 + 300)] == ["tick", "tock"]
        await wait_for(lambda: len(invoker.calls) == 4)
        await sched.stop()
        await consumer.stop()
        by_fn = {}
        for fn, payload, _rid in invoker.calls:
            by_fn.setdefault(fn, []).append(json.loads(payload))
        assert by_fn["tock"] == [{"k": 1}, {"k": 1}]
        event = by_fn["tick"][0]
        assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
        assert event["time"] == "2027-01-15T08:00:10Z"
        assert event["resources"][0].endswith(":rule/five")

    run(scenario())


def test_direct_mode_calls_the_invoker(event_settings, run) -> None:
    async def scenario() -> None:
        invoker = ScriptedInvoker()
        sched = Scheduler(None, invoker, [ScheduledFunction("tick", "rate(1 day)", name="d")],
                          settings=event_settings, durable=False)
        assert len(await sched.run_due(T0)) == 1
        await wait_for(lambda: len(invoker.calls) == 1)
        await sched.stop()

    run(scenario())


def test_a_scheduler_stops_though_its_redis_client_loses_some_cancellations(event_settings, run) -> None:
    # redis-py 8's asyncio client now and then swallows a cancellation that lands inside a command (the
    # scheduler's loop then went on ticking and a runner's shutdown hung in Scheduler.stop).
    schedules = [ScheduledFunction("tick", "rate(1 minute)", name="tick-every-minute")]

    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        for i in range(25):
            sched = Scheduler(None, ScriptedInvoker(), schedules, settings=event_settings, tick=0.001)
            await sched.start()
            await asyncio.sleep(0.002 + (i % 8) * 0.001)  # in the middle of its SETs, at varied points
            stopping = loop.create_task(sched.stop())
            done, _ = await asyncio.wait({stopping}, timeout=5)
            assert stopping in done, f"stop {i} still running after 5 s"
            stopping.result()
        return i + 1

    assert run(scenario()) == 25


def test_a_scheduler_asks_redis_once_per_slot_whether_it_won_or_lost(event_settings, run) -> None:
    """Ticks within a slot already settled send nothing: an idle instance's Redis traffic is one SET per schedule
    per period, not one per tick."""
    from redis.asyncio import Redis

    schedules = [ScheduledFunction("tick", "rate(1 minute)", name="every-minute")]

    class CountingRedis(Redis):
        sets = 0

        async def set(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            CountingRedis.sets += 1
            return await super().set(*args, **kwargs)

    async def scenario() -> tuple[list[int], list[int]]:
        winner = Scheduler(None, ScriptedInvoker(), schedules, settings=event_settings.with_(consumer="a"),
                           redis=CountingRedis.from_url(event_settings.redis_url))
        loser = Scheduler(None, ScriptedInvoker(), schedules, settings=event_settings.with_(consumer="b"),
                          redis=CountingRedis.from_url(event_settings.redis_url))
        fired, asked = [], []
        for now in (T0 + 1, T0 + 2, T0 + 30, T0 + 59, T0 + 61, T0 + 62):
            fired.append(len(await winner.run_due(now)) + len(await loser.run_due(now)))
            asked.append(CountingRedis.sets)
        await winner.stop()
        await loser.stop()
        return fired, asked

    fired, asked = run(scenario())
    assert fired == [1, 0, 0, 0, 1, 0]  # once per period across both
    assert asked == [2, 2, 2, 2, 4, 4]  # each instance asked once in each slot, the winner and the loser alike
