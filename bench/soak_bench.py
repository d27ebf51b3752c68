"""Benchmark: a mixed soak at a fixed rate through nginx, then twice the measured capacity. Prints figures;
not a test.

    .venv/bin/python -m bench.soak_bench [--rate 200] [--minutes 30] [--overload-seconds 120]

The stack is `make run`'s (bench/aisha_stack.py) on a database and a Redis db of its own. The mix, as the
public routes see it after an outage (issue 9), sent open loop at `--rate`:
- 20 % `GET /health` (200);
- 30 % a FAL delivery already accepted, delivered again, signed afresh as FAL does (200, a duplicate);
- 30 % a Telegram update already accepted, delivered again (200, a duplicate);
- 10 % a FAL delivery with a signature of another key (401), 10 % a Telegram update with a wrong secret (401).
A correct answer is the status in brackets. Soak figures: correct answers (target >= 99.9 %), p50/p99, what
was wrong by kind, memory by role (PSS), workers and PostgreSQL connections every 10 s (flat is the target),
workers spawned. Overload: the capacity of the same mix measured with wrk at c32 (correct answers/s), then
the mix at twice that for `--overload-seconds`, open loop (wrk paced by bench/replay.lua: a Python client
at that rate took a third of a core and was itself the queue): goodput against capacity (target >= 90 %)
and how fast the rest is refused (429/503, at nginx and at the client). Correct answers of both are
counted per kind from nginx's log (bench/edge_log.py). Loopback only; everything it starts is stopped at
the end.

Measured on a 2-core machine (7 Dec 2026), defaults (200 req/s for 30 minutes, then 120 s at twice the
capacity):
    soak       360,000 sent, 100.00 % correct (none wrong), p50 2.6 ms, p99 12.7 ms
               memory 763 MB at the start, 1,037-1,252 MB from the first minute to the end (scaled up in the
               first 11 s, flat after); workers 20-25 (budget 32); PostgreSQL connections 17-42; 17 spawned
    capacity   1,034 correct/s (wrk, c32)
    overload   2,069 req/s for 120 s: goodput 94 % of capacity, 132,326 refused with 429 by nginx in under
               a millisecond (p99 0.00 ms there), every answer at the client p50 1.7 ms, p99 237 ms; none wrong
A 3-minute soak just before had 28 wrong of 36,000 (99.92 %): GET /health refused with 429 in its first second,
while /health's first workers started (nginx's in-flight limit for the route filled); `health` is provisioned
since.
On 8 Dec 2026 (stop 33; nginx's own 404 at about 38,000/s, a slower machine than on 7 Dec), defaults, twice:
    soak       99.88 % correct: 423 answers of 429 spread over every kind (a stall of about two seconds;
               when was not recorded then, so each wrong answer's window is printed since); p50 4.3 ms,
               p99 31.0 ms; memory 728 -> 1,060 MB (peak 1,275); 17 spawned
               then 100.00 % (none wrong), p50 4.1 ms, p99 29.0 ms; memory 686 MB, 1,030-1,162 MB from the
               first 11 s to the end; workers 21-25; PostgreSQL connections 18-40; 14 spawned
    capacity   688 and 694 correct/s
    overload   1,376 and 1,388 req/s for 120 s: goodput 112 % and 98 % of capacity; 73,260 and 85,052
               refused with 429 by nginx in under a millisecond; client p99 334 and 348 ms; none wrong
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench import procstats
from bench.aisha_stack import AishaStack, aisha_stack, run_with_wrk
from bench.edge_log import EdgeLog
from bench.loadgen import Mixed, Prepared, open_loop_mixed, wrk
from sandbox.fal.signing import signed_message
from sandbox.telegram import SandboxClient
from tests.functional.events import fal_webhook, telegram_update

KINDS = (("health", 2), ("fal-repeat", 3), ("telegram-repeat", 3), ("fal-forged", 1), ("telegram-forged", 1))
REFUSED = (429, 503)
CUT_OFF = 499  # nginx's status for a request whose client closed first: wrk's, at the end of its run
WRONG_WINDOW = 10  # seconds: the wrong answers are counted by when they were sent, to line up with the samples
OVERLOAD_CONNECTIONS = 512  # far more than rate x latency: wrk's paced requests never wait for a connection


class Mix:
    """The requests of the mix; FAL's are signed when made, so their timestamps stay within FAL's window."""

    def __init__(self, aisha: AishaStack) -> None:
        fal, telegram = aisha.standins.fal, aisha.standins.telegram
        assert fal is not None and telegram is not None
        self.base = aisha.url
        self.key, self.user = fal.core.keys.current.private_key, fal.core.config.user_id
        self.forger = Ed25519PrivateKey.generate()
        self.fal_id = str(uuid.uuid4())
        self.fal_body = fal_webhook("generation_ok", self.fal_id)
        user = 2_100_000_000
        with SandboxClient(telegram.url) as chat:
            chat.set_user(user, first_name="Soak", language_code="en")
        self.update = json.dumps(telegram_update("command", user)).encode()
        self.secret = aisha.standins.secret
        self.order = [kind for kind, weight in KINDS for _ in range(weight)]
        self.expected: dict[str, int] = {}

    def _fal(self, key: Ed25519PrivateKey) -> dict[str, str]:
        stamp = str(int(time.time()))
        return {"Content-Type": "application/json", "X-Fal-Webhook-Request-Id": self.fal_id,
                "X-Fal-Webhook-User-Id": self.user, "X-Fal-Webhook-Timestamp": stamp,
                "X-Fal-Webhook-Signature": key.sign(signed_message(self.fal_id, self.user, stamp,
                                                                   self.fal_body)).hex()}

    def make(self, i: int) -> Prepared:
        kind = self.order[i % len(self.order)]
        fal, telegram = f"{self.base}/webhook/fal/status", f"{self.base}/webhook/telegram"
        tg = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": self.secret}
        return {
            "health": lambda: Prepared(kind, "GET", f"{self.base}/health", None, {}, 200),
            "fal-repeat": lambda: Prepared(kind, "POST", fal, self.fal_body, self._fal(self.key), 200),
            "telegram-repeat": lambda: Prepared(kind, "POST", telegram, self.update, tg, 200),
            "fal-forged": lambda: Prepared(kind, "POST", fal, self.fal_body, self._fal(self.forger), 401),
            "telegram-forged": lambda: Prepared(kind, "POST", telegram, self.update,
                                                {**tg, "X-Telegram-Bot-Api-Secret-Token": "wrong"}, 401),
        }[kind]()

    def replay_file(self, path: Path, count: int) -> None:
        """The mix as lines for bench/replay.lua (wrk), signed now: valid for FAL's five minutes (wrk starts
        again from the first line when it runs out: every request of the mix is a repeat anyway). Each is
        tagged with its kind for bench/edge_log.py."""
        with path.open("w") as out:
            for i in range(count):
                r = self.make(i)
                self.expected[r.kind] = r.expect
                target = f"{r.url.removeprefix(self.base)}?mix={r.kind}"
                fields = [r.method, target, *(f"{k}: {v}" for k, v in r.headers.items())]
                out.write("\t".join([*fields, (r.body or b"-").decode()]) + "\n")


def first_deliveries(mix: Mix) -> None:
    """Accept the FAL delivery and the Telegram update once, so the soak's are repeats."""
    asyncio.run(open_loop_mixed(lambda i: [mix.make(1), mix.make(5)][i], rate=2, seconds=1))


class Sampler(threading.Thread):
    """procstats every `every` seconds, printed as it goes."""

    def __init__(self, aisha: AishaStack, every: float) -> None:
        super().__init__(daemon=True)
        self.aisha, self.every = aisha, every
        self.samples: list[procstats.Sample] = []
        self.stop = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self.stop.is_set():
            sample = procstats.sample(self.aisha.stack, self.aisha.env["DATABASE_URL"])
            self.samples.append(sample)
            print("  " + procstats.line(f"t={time.monotonic() - started:5.0f} s", sample), flush=True)
            self.stop.wait(self.every)


def summary(label: str, mixed: Mixed, seconds: float) -> str:
    share = mixed.correct / mixed.sent * 100 if mixed.sent else 0.0
    wrong = ", ".join(f"{k}: {n}" for k, n in sorted(mixed.wrong.items())) or "none"
    windows = Counter(int(t // WRONG_WINDOW) * WRONG_WINDOW for t in mixed.wrong_at)
    when = ", ".join(f"t={t}-{t + WRONG_WINDOW} s: {n}" for t, n in sorted(windows.items()))
    return (f"{label}: {mixed.sent} sent, {mixed.correct / seconds:.0f} correct/s, correct {share:.2f} %, "
            f"p50 {mixed.pct(50):.1f} ms, p99 {mixed.pct(99):.1f} ms; wrong: {wrong}"
            + (f"; sent wrong in {when}" if when else ""))


def capacity(mix: Mix, home: Path, aisha: AishaStack, edge: EdgeLog) -> float:
    """Correct answers per second of the mix at c32 (wrk), counted per kind from nginx's log."""
    path = home / "mix.requests"
    mix.replay_file(path, len(mix.order) * 2000)
    mark = edge.mark()
    result = wrk("capacity of the mix (c32, 10 s)", f"{aisha.url}/", concurrency=32, seconds=10, requests=path)
    answers = edge.since(mark)
    print(f"{result.label}: answers {dict(sorted(result.statuses.items()))}", flush=True)
    return answers.correct(mix.expected) / result.seconds


def overload(mix: Mix, home: Path, aisha: AishaStack, edge: EdgeLog, cap: float, seconds: float) -> None:
    """The mix open loop at twice `cap` (wrk, paced): goodput, and how fast the rest is refused."""
    path = home / "mix.requests"
    mark = edge.mark()
    result = wrk(f"overload at {2 * cap:.0f} req/s", f"{aisha.url}/", concurrency=OVERLOAD_CONNECTIONS,
                 seconds=seconds, requests=path, rate=2 * cap)
    answers = edge.since(mark)
    refused = sum(n for (_, status), n in answers.counts.items() if status in REFUSED)
    wrong = {f"{kind} {status}": n for (kind, status), n in sorted(answers.counts.items())
             if status != mix.expected.get(kind) and status not in REFUSED and status != CUT_OFF}
    print(f"{result.label} for {result.seconds:.0f} s: {result.sent} sent ({result.late} left late, worst "
          f"{result.worst_late_ms:.0f} ms), answers {dict(sorted(result.statuses.items()))}; wrong: {wrong or 'none'}")
    print(f"goodput {answers.correct(mix.expected) / result.seconds / cap * 100:.0f} % of capacity (target >= 90 %); "
          f"refused {refused}: at nginx p50 {answers.pct_ms(50, REFUSED):.2f} ms, p99 "
          f"{answers.pct_ms(99, REFUSED):.2f} ms; every answer at the client p50 {result.pct(50):.1f} ms, "
          f"p99 {result.pct(99):.1f} ms", flush=True)


def run(args: argparse.Namespace, home: Path) -> int:
    with aisha_stack(home, isolated=True) as aisha:
        mix = Mix(aisha)
        first_deliveries(mix)
        print(f"soak: {args.rate:.0f} req/s for {args.minutes:.1f} min through nginx; samples every 10 s", flush=True)
        sampler = Sampler(aisha, 10.0)
        sampler.start()
        seconds = args.minutes * 60
        soak = asyncio.run(open_loop_mixed(mix.make, rate=args.rate, seconds=seconds))
        sampler.stop.set()
        sampler.join()
        first, last = sampler.samples[0], sampler.samples[-1]
        print(summary("soak", soak, seconds) + " (target correct >= 99.9 %)")
        print(f"memory {first.total_mb:.0f} -> {last.total_mb:.0f} MB (peak "
              f"{max(s.total_mb for s in sampler.samples):.0f}); workers spawned during the soak "
              f"{last.spawned - first.spawned}", flush=True)
        edge = EdgeLog(aisha.stack.state)
        cap = capacity(mix, home, aisha, edge)
        print(f"capacity: {cap:.0f} correct/s", flush=True)
        overload(mix, home, aisha, edge, cap, args.overload_seconds)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak_bench", description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="soak requests per second (default 200)")
    parser.add_argument("--minutes", type=float, default=30.0, help="soak length (default 30)")
    parser.add_argument("--overload-seconds", type=float, default=120.0, help="at 2x capacity (default 120)")
    args = parser.parse_args(argv)
    return run_with_wrk(lambda home: run(args, home), "soak-bench-")


if __name__ == "__main__":
    sys.exit(main())
