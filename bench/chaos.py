"""The chaos suite, long form: a known workload through nginx and two runner instances, one fault injected
mid-run per scenario, the deliveries resent as Telegram and FAL resend them, then expected against actual
effects once the queues have drained. Prints a table; exits 1 when a domain effect or a message was lost
or a domain effect duplicated (duplicated messages are reported, as the issue allows them).

    .venv/bin/python -m bench.chaos [-n 20] [--scenarios baseline,duplicates,...] [--down 5] [--spread 4]

Scenarios: baseline (no fault), duplicates (every delivery 5x concurrently to both instances, past
nginx), kill-worker (kill -9 of the workers doing the work, three times), kill-runner (kill -9 of one
instance and its workers, restarted after --down s), postgres-restart, redis-restart, s3-down (the
endpoint refuses connections for --down s), telegram-429 (sends answered 429 retry_after=1 for --down s).
Loopback only; bounded by -n, --down and the deadlines; everything it starts is stopped at the end.
`tests/chaos/` runs the short form of the same scenarios in `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.chaos_count import Effects, chat_in_flight, count, failed_events, queues_drained
from bench.chaos_stack import ChaosStack, kill9
from bench.chaos_workload import prepare, send_all

ROOT = Path(__file__).resolve().parents[1]
BUSY = {"tg_webhook", "tg_dispatch", "bot_start", "fal_webhook_status", "fal_process_generation"}

# A fault blocks while it lasts and returns what it did and how often it hit. It is given `busy()`, which
# waits (bounded) until a dispatcher holds one of the run's chats: an update is then between being taken
# from its chat queue and being done, the moment a fault does the most harm.
Busy = Callable[[], bool]
Fault = Callable[[ChaosStack, float, Busy], tuple[str, int]]
ROUNDS = 3  # faults repeat while the work goes on: a replacement worker, a fresh connection are hit too
# An Event gets three attempts (Lambda's two retries); a delivery killed in every one of them is parked on
# the operator's failed list, as designed, which the count takes as lost. So worker kills come in one round
# fewer than that: a replacement worker is still killed, and every delivery keeps an attempt. (With three
# rounds, a loaded machine lined the rounds up with one processing event's three attempts.)
KILL_ROUNDS = 2


def _kill_workers(stack: ChaosStack, down: float, busy: Busy) -> tuple[str, int]:
    killed = 0
    for _ in range(KILL_ROUNDS):
        busy()
        killed += kill9(stack.workers(BUSY))
        time.sleep(down / KILL_ROUNDS)
    return f"{killed} workers killed in {KILL_ROUNDS} rounds", killed


def _kill_runner(stack: ChaosStack, down: float, busy: Busy) -> tuple[str, int]:
    """kill -9 of the instance whose dispatcher holds a chat (its /_runner/metrics), restarted after `down`."""
    deadline = time.monotonic() + down
    while True:  # until a dispatcher is seen at work on one instance (or `down` s have passed)
        busy()
        running = stack.busy_workers("tg_dispatch")
        if any(running) or time.monotonic() > deadline:
            break
    index = max(range(len(running)), key=lambda i: running[i])
    killed = stack.kill_runner(index)
    time.sleep(down)
    stack.restart_runner(index)
    return f"instance {index + 1} killed ({killed} processes), restarted after {down:.0f} s", killed


def _outage(name: str, rounds: int = ROUNDS) -> Fault:
    def fault(stack: ChaosStack, down: float, busy: Busy) -> tuple[str, int]:
        for _ in range(rounds):
            busy()
            getattr(stack.services, f"{name}_down")()
            try:
                time.sleep(down / rounds)
            finally:
                getattr(stack.services, f"{name}_up")()
        return f"{name} down {rounds} x {down / rounds:.1f} s", rounds

    return fault


def _telegram_429(stack: ChaosStack, down: float, busy: Busy) -> tuple[str, int]:
    assert stack.chat is not None
    busy()
    for method in ("sendMessage", "sendPhoto"):
        stack.chat.add_fault(429, method=method, retry_after=1, count=1000)
    time.sleep(down)
    answered = sum(1000 - f["remaining"] for f in stack.chat.faults())
    stack.chat.clear_faults()
    return f"{answered} sends answered 429 (retry_after 1) for {down:.0f} s", answered


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: Fault | None = None
    copies: int = 1  # concurrent senders of each delivery per target
    direct: bool = False  # to each runner instance instead of through nginx


SCENARIOS = {s.name: s for s in (
    Scenario("baseline"),
    Scenario("duplicates", copies=5, direct=True),
    Scenario("kill-worker", _kill_workers),
    Scenario("kill-runner", _kill_runner),
    Scenario("postgres-restart", _outage("postgres", rounds=1)),
    Scenario("redis-restart", _outage("redis")),
    Scenario("s3-down", _outage("s3", rounds=1)),  # one outage: shorter than the Event retries' window
    Scenario("telegram-429", _telegram_429),
)}


@dataclass
class Outcome:
    scenario: str
    effects: Effects
    fault: str
    hits: int  # how often the fault hit (processes killed, calls refused, outages); 0 without one
    seconds: float
    unacked: int  # deliveries never answered 2xx before the deadline
    left: str  # what the queues still held when the drain wait ended; empty: drained

    def row(self) -> list[str]:
        e = self.effects
        domain, messages = e.total("domain"), e.total("messages")
        # the journal and the notifications: a parked FAL delivery is on the failed-Event list too (same work)
        parked = e.parked["journal"] + e.parked["notifications"]
        stuck = sum(e.stuck.values())
        return [self.scenario, str(domain.expected), str(domain.lost), str(domain.duplicated), str(parked),
                str(stuck), str(messages.expected), str(messages.lost), str(messages.duplicated),
                str(self.unacked), f"{self.seconds:.0f}"]

    @property
    def ok(self) -> bool:
        """The issue's bar: 0 lost and 0 duplicated domain effects, 0 lost messages."""
        e = self.effects
        domain, messages = e.total("domain"), e.total("messages")
        return domain.lost == domain.duplicated == messages.lost == 0


HEADER = ["scenario", "expected", "lost", "duplicated", "parked", "stuck", "messages", "msg lost", "msg dup",
          "unacked", "s"]


def table(outcomes: list[Outcome]) -> str:
    rows = [HEADER, *(o.row() for o in outcomes)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = ["  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def run_scenario(stack: ChaosStack, scenario: Scenario, *, n: int, spread: float, down: float,
                 settle: float = 60.0, rng: random.Random | None = None) -> Outcome:
    workload = prepare(stack, n, rng or random.Random())  # fresh users each run: counts are per run
    failed_before = failed_events(stack.env)
    targets = stack.runner_urls if scenario.direct else [stack.url]
    began = time.monotonic()
    deadline = began + spread + down + settle

    async def drive() -> tuple[str, int]:
        sending = asyncio.ensure_future(send_all(workload, targets, copies=scenario.copies, spread=spread,
                                                 deadline=deadline))
        did = ("none", 0)
        if scenario.fault is not None:
            await asyncio.sleep(spread / 4)
            busy = functools.partial(chat_in_flight, stack.env, workload.start_users, spread)
            did = await asyncio.to_thread(scenario.fault, stack, down, busy)
        await sending
        return did

    did, hits = asyncio.run(drive())
    chats = workload.start_users + workload.gen_users
    with Sweeper(stack):  # the scheduled sweep, on the stack's compressed clock
        left = queues_drained(stack, chats, timeout=max(5.0, deadline - time.monotonic()),
                              keys=workload.telegram_keys + workload.fal_keys)
    _bot_quiet(stack)  # late sends (duplicates) land before counting
    effects = count(stack, workload, failed_before)
    unacked = sum(1 for d in workload.deliveries if not d.acked)
    return Outcome(scenario.name, effects, did, hits, time.monotonic() - began, unacked, left)


class Sweeper:
    """`fal_reconcile`, run every `every` seconds while the queues drain, as its schedule runs it every
    5 minutes in production (the stack's retry and reconcile delays are scaled down alike): what a fault
    left for the sweep (a due FAL retry, a stuck update, an unsent message) is part of the outcome."""

    def __init__(self, stack: ChaosStack, every: float = 2.0) -> None:
        self.stack, self.every = stack, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-sweeper", daemon=True)
        self.runs = 0

    def __enter__(self) -> Sweeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        from aisha.config import load_settings
        from aisha.invoke import FunctionInvoker

        while not self._stop.wait(self.every):
            for url in self.stack.runner_urls:  # whichever instance is up (one may have been killed)
                invoker = FunctionInvoker(load_settings({**self.stack.env, "LAMBDA_ENDPOINT_URL": url}),
                                          environ=self.stack.env)
                try:
                    invoker.invoke_sync("fal_reconcile", {})
                    self.runs += 1
                    break
                except Exception:  # that instance is down, or the sweep failed: the next tick tries again
                    continue


def _bot_quiet(stack: ChaosStack, quiet: float = 1.0, timeout: float = 15.0) -> None:
    """Until the bot has made no Bot API call for `quiet` s (the stand-in's own idle check also waits for
    the /start updates, which stay pending there: nothing fetches them)."""
    assert stack.chat is not None
    deadline = time.monotonic() + timeout
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now = len(stack.chat.calls())
        if now != seen:
            seen, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.2)


def details(outcome: Outcome) -> str:
    e = outcome.effects
    parts = [f"{name} {t.expected}/-{t.lost}/+{t.duplicated}"
             for name, t in {**e.domain, **e.messages}.items()
             if t.lost or t.duplicated]
    parked = {k: v for k, v in {**e.parked, **{f"stuck {k}": v for k, v in e.stuck.items()}}.items()
              if v}
    return (f"  {outcome.scenario}: fault: {outcome.fault}; " + (", ".join(parts) or "all effects exact")
            + (f"; {parked}" if parked else "") + (f"; not drained: {outcome.left}" if outcome.left else "")
            + (f"; {e.other_messages} other messages" if e.other_messages else "")
            + (f"; parked because {e.reasons}" if e.reasons else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20, help="new users and FAL completions per scenario")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated; default: all")
    parser.add_argument("--down", type=float, default=5.0, help="seconds a fault lasts")
    parser.add_argument("--spread", type=float, default=4.0, help="seconds over which the deliveries start")
    parser.add_argument("--settle", type=float, default=90.0, help="seconds to wait for the queues to drain")
    parser.add_argument("--seed", type=int, default=None, help="user ids drawn from this seed (default: random)")
    args = parser.parse_args(argv)
    names = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in names if s not in SCENARIOS]
    if unknown or not 1 <= args.n <= 500 or not 0 < args.down <= 120:
        parser.error(f"unknown scenarios {unknown}" if unknown else "-n must be 1..500 and --down 0..120 s")
    core = str(ROOT / "layers" / "core" / "python")
    if core not in sys.path:
        sys.path.insert(0, core)  # the core layer, as the tests' pythonpath has it
    rng = random.Random(args.seed)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="aisha-chaos-") as home:
        print("starting nginx, two runner instances, the stand-ins and private services ...", flush=True)
        stack = ChaosStack(Path(home)).start()
        try:
            for name in names:
                outcome = run_scenario(stack, SCENARIOS[name], n=args.n, spread=args.spread, down=args.down,
                                       settle=args.settle, rng=rng)
                outcomes.append(outcome)
                print(details(outcome), flush=True)
        finally:
            stack.stop()
    print(f"\nN = {args.n} users' /start + {args.n} FAL completions per scenario; faults last {args.down:.0f} s")
    print(table(outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
