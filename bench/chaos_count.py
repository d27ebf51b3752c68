"""Expected against actual effects of a chaos workload: lost, duplicated, parked, stuck.

Domain effects are counted in PostgreSQL and the bucket (users, welcome-bonus credits, completed
generations, charges and refunds, stored images); messages in the Telegram stand-in's record of what
the bot sent (the welcome, the menu, the finished image). Parked: journal rows parked or failed, the
runners' failed Event list (what this run added) and notifications given up on; stuck: journal rows
left `received` or `processing`, notifications still pending, once everything else has settled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.chaos_stack import WELCOME_BONUS, ChaosStack
from bench.chaos_workload import PROMPT, Workload


@dataclass
class Tally:
    expected: int = 0
    lost: int = 0
    duplicated: int = 0

    def add(self, counts: list[int], per_item: int = 1) -> None:
        """One count per item that should have exactly `per_item`."""
        self.expected += per_item * len(counts)
        self.lost += sum(max(0, per_item - c) for c in counts)
        self.duplicated += sum(max(0, c - per_item) for c in counts)


@dataclass
class Effects:
    domain: dict[str, Tally] = field(default_factory=dict)
    messages: dict[str, Tally] = field(default_factory=dict)
    parked: dict[str, int] = field(default_factory=dict)
    stuck: dict[str, int] = field(default_factory=dict)
    other_messages: int = 0  # sent to our chats, none of the expected kinds (an error, "welcome back")
    reasons: dict[str, int] = field(default_factory=dict)  # error codes of the parked journal rows

    def total(self, kind: str) -> Tally:
        tallies = self.domain if kind == "domain" else self.messages
        return Tally(sum(t.expected for t in tallies.values()), sum(t.lost for t in tallies.values()),
                     sum(t.duplicated for t in tallies.values()))


def queue_stats(env: Mapping[str, str]) -> dict[str, int]:
    """The runners' Event queue: entries waiting, in flight, waiting to retry, and parked (failed)."""
    from local_runner.async_events import read_stats

    return read_stats(env["REDIS_URL"], env["RUNNER_EVENTS_PREFIX"])


def failed_events(env: Mapping[str, str]) -> int:
    return queue_stats(env)["failed"]


def busy_chats(env: Mapping[str, str], chat_ids: list[int]) -> list[int]:
    """Those of these chats whose update waits in its chat queue or is being handled
    (aisha.services.chat_queue), over one connection (one per chat and poll was 4.6 s of a run's CPU)."""
    import redis
    from aisha.services import chat_queue

    client = redis.Redis.from_url(env["REDIS_URL"], socket_timeout=2)
    try:
        return [c for c in chat_ids if chat_queue.pending(client, c) or client.exists(_lock_key(c))]
    finally:
        client.close()


def _lock_key(chat_id: int) -> str:
    return f"aisha:chatq:{chat_id}:lock"  # aisha.services.chat_queue's lock of a chat being drained


def chat_in_flight(env: Mapping[str, str], chat_ids: list[int], timeout: float) -> bool:
    """Wait until a dispatcher holds one of these chats (its lock is set), at most `timeout` s."""
    import time

    import redis

    client = redis.Redis.from_url(env["REDIS_URL"], socket_timeout=2)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            try:
                if client.exists(*(_lock_key(c) for c in chat_ids)):
                    return True
            except redis.RedisError:
                pass
            time.sleep(0.01)
        return False
    finally:
        client.close()


def _per(rows: list[dict[str, Any]], ids: list[int], column: str = "user_id") -> list[int]:
    counts = {int(r[column]): int(r["n"]) for r in rows}
    return [counts.get(i, 0) for i in ids]


def count(stack: ChaosStack, workload: Workload, failed_before: int) -> Effects:
    import psycopg
    from psycopg.rows import dict_row

    effects = Effects()
    start, gen = workload.start_users, workload.gen_users
    with psycopg.connect(stack.env["DATABASE_URL"], row_factory=dict_row) as conn:
        def rows(sql: str, *args: Any) -> list[dict[str, Any]]:
            return conn.execute(sql, args).fetchall()

        effects.domain["users"] = Tally()
        effects.domain["users"].add(_per(rows("SELECT id AS user_id, 1 AS n FROM users WHERE id = ANY(%s)", start),
                                         start))
        ledger = "SELECT user_id, count(*) AS n FROM ledger_entries WHERE kind = %s AND user_id = ANY(%s) GROUP BY 1"
        for name, kind, ids, per in (("bonus credits", "bonus", start, 1 if WELCOME_BONUS else 0),
                                     ("charges", "charge", gen, 1), ("refunds", "refund", gen, 0)):
            effects.domain[name] = Tally()
            effects.domain[name].add(_per(rows(ledger, kind, ids), ids), per)
        done = rows("SELECT id AS user_id, 1 AS n FROM generations WHERE id = ANY(%s) AND status = 'completed'",
                    workload.generation_ids)
        effects.domain["generations completed"] = Tally()
        effects.domain["generations completed"].add(_per(done, workload.generation_ids))
        images = rows("SELECT generation_id, count(*) AS n FROM generation_images WHERE generation_id = ANY(%s) "
                      "GROUP BY 1", workload.generation_ids)
        effects.domain["image rows"] = Tally()
        effects.domain["image rows"].add(_per(images, workload.generation_ids, "generation_id"))
        keys = workload.telegram_keys + workload.fal_keys
        journal = rows("SELECT status, count(*) AS n FROM webhook_events WHERE delivery_key = ANY(%s) GROUP BY 1",
                       keys)
        by_status = {r["status"]: int(r["n"]) for r in journal}
        reasons = rows("SELECT coalesce(error_code, '?') AS code, count(*) AS n, min(left(coalesce(last_error, ''), "
                       "90)) AS example FROM webhook_events WHERE delivery_key = ANY(%s) "
                       "AND status IN ('parked', 'failed') GROUP BY 1", keys)
        effects.reasons = {f"{r['code']} (e.g. {r['example']})": int(r["n"]) for r in reasons}
        notes = rows("SELECT status, count(*) AS n FROM notifications WHERE chat_id = ANY(%s) GROUP BY 1",
                     start + gen)
        by_note = {r["status"]: int(r["n"]) for r in notes}
    effects.domain["stored images"] = Tally()
    effects.domain["stored images"].add(_stored(stack, gen))
    effects.parked = {"journal": by_status.get("parked", 0) + by_status.get("failed", 0),
                      "failed events": max(0, failed_events(stack.env) - failed_before),
                      "notifications": by_note.get("failed", 0)}
    effects.stuck = {"journal": by_status.get("received", 0) + by_status.get("processing", 0),
                     "notifications": by_note.get("pending", 0)}
    _count_messages(stack, workload, effects)
    return effects


def _stored(stack: ChaosStack, user_ids: list[int]) -> list[int]:
    """Objects in the images bucket under each user's prefix (credentials from the stack's environment,
    not this process's: the CLI has none of its own)."""
    import boto3

    env = stack.env
    s3 = boto3.client("s3", endpoint_url=env["S3_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
                      aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    try:
        return [int(s3.list_objects_v2(Bucket=env["S3_BUCKET_IMAGES"], Prefix=f"{user_id}/").get("KeyCount", 0))
                for user_id in user_ids]
    except s3.exceptions.NoSuchBucket:
        return [0 for _ in user_ids]
    finally:
        s3.close()


def _count_messages(stack: ChaosStack, workload: Workload, effects: Effects) -> None:
    from aisha.texts import text

    assert stack.chat is not None
    welcome, menu, image = [], [], []
    for i, chat_id in enumerate(workload.start_users):
        sent = [m["message"] for m in stack.chat.messages(chat_id, direction="out")]
        greeting = text("en", "welcome", name=f"Start{i}", bonus=WELCOME_BONUS)
        welcome.append(sum(1 for m in sent if m.get("text") == greeting))
        menu.append(sum(1 for m in sent if "gen:new" in _buttons(m)))
        effects.other_messages += len(sent) - welcome[-1] - menu[-1]
    caption = text("en", "generation_done", prompt=PROMPT)
    for chat_id in workload.gen_users:
        sent = [m["message"] for m in stack.chat.messages(chat_id, direction="out")]
        image.append(sum(1 for m in sent if m.get("photo") and m.get("caption") == caption))
        effects.other_messages += len(sent) - image[-1]
    for name, counts in (("welcome", welcome), ("menu", menu), ("image", image)):
        effects.messages[name] = Tally()
        effects.messages[name].add(counts)


def _buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b.get("callback_data", "") for row in rows for b in row]


def retries_pending(stack: ChaosStack, keys: list[str]) -> int:
    """This run's deliveries not settled yet: waiting for a processing retry on their schedule (`failed`),
    or handed on and not finished (`received`, `processing`): a worker killed between journaling a delivery
    and queueing its processor leaves it to the sweep, once its hand-on lease has lapsed."""
    import psycopg

    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
        row = conn.execute("SELECT count(*) FROM webhook_events WHERE delivery_key = ANY(%s) "
                           "AND status IN ('failed', 'received', 'processing')", (keys,)).fetchone()
    return int(row[0]) if row else 0


def notifications_pending(stack: ChaosStack, chat_ids: list[int]) -> int:
    """Messages to these chats the outbox still owes (the sweep sends them again)."""
    import psycopg

    with psycopg.connect(stack.env["DATABASE_URL"]) as conn:
        row = conn.execute("SELECT count(*) FROM notifications WHERE chat_id = ANY(%s) AND status = 'pending'",
                           (chat_ids,)).fetchone()
    return int(row[0]) if row else 0


def queues_drained(stack: ChaosStack, chat_ids: list[int], timeout: float, keys: list[str] | None = None) -> str:
    """Wait until the runners' Event queue holds nothing queued, running or waiting to retry and no chat
    queue of ours holds or handles an update, twice in a row (a hand-off between the two is not idle).
    With `keys`, also until none of those deliveries waits for its processing (the sweep hands them on);
    and until the outbox owes these chats nothing (the sweep sends again what a fault held back).
    Returns "" once drained, or what was still there at `timeout` (a fault left something behind)."""
    import time

    deadline = time.monotonic() + timeout
    calm, left = 0, "nothing checked"
    while time.monotonic() < deadline:
        try:
            stats = queue_stats(stack.env)
            busy = busy_chats(stack.env, chat_ids)
            left = f"events {stats}, busy chats {_chat_states(stack.env, busy)}" if not _settled(stats) or busy else ""
            waiting = retries_pending(stack, keys) if keys and not left else 0
            if waiting:
                left = f"{waiting} deliveries waiting for their processing"
            unsent = notifications_pending(stack, chat_ids) if not left else 0
            if unsent:
                left = f"{unsent} messages waiting in the outbox"
        except Exception as exc:  # Redis not back yet
            left = f"redis: {type(exc).__name__}"
        calm = calm + 1 if not left else 0
        if calm >= 2:
            return ""
        time.sleep(0.3)
    return left


def _settled(stats: dict[str, int]) -> bool:
    return stats["stream"] == stats["pending"] == stats["delayed"] == 0


def _chat_states(env: Mapping[str, str], chat_ids: list[int]) -> list[str]:
    """Each busy chat's queue length and lock time-to-live (ms), for the report."""
    import redis
    from aisha.services import chat_queue

    client = redis.Redis.from_url(env["REDIS_URL"], socket_timeout=2)
    try:
        return [f"{c}: queued {chat_queue.pending(client, c)}, lock ttl {client.pttl(_lock_key(c))} ms"
                for c in chat_ids]
    finally:
        client.close()
