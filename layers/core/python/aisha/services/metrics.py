"""Domain metrics read from PostgreSQL, in Prometheus' text exposition format.

Why from the database and not from in-process counters: the functions are short-lived worker
processes on several runner instances; a counter in one of them dies with it and each instance would
report its own part. The tables are the truth and already hold every fact (the journal, the
append-only ledger, the status machines), so any instance answers the same numbers and nothing is
lost on a restart. The price: a few aggregate queries per scrape (cheap at this size: indexed or
small tables) and "totals" that are counts of rows, so a deleted avatar or generation lowers them
(Prometheus' rate() treats a drop as a counter reset; the ledger and the journal never shrink).

Only reads: one short read-only transaction per scrape.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from aisha.db import Connection


@dataclass
class Family:
    name: str
    kind: str  # counter | gauge
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float | int | None, **labels: str) -> None:
        self.samples.append((labels, float(value or 0)))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    for family in families:
        lines.append(f"# HELP {family.name} {family.help}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        for labels, value in family.samples:
            text = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
            lines.append(f"{family.name}{{{text}}} {value:g}" if text else f"{family.name} {value:g}")
    return "\n".join(lines) + "\n"


def _rows(conn: Connection, sql: str, params: Sequence[object] = ()) -> list[dict[str, object]]:
    return list(conn.execute(sql, params).fetchall())


def _num(value: object) -> float:
    return 0.0 if value is None else float(value)  # type: ignore[arg-type]  # int, Decimal (EXTRACT) or float


def _trainings(conn: Connection) -> list[Family]:
    submitted = Family("aisha_trainings_submitted_total", "counter",
                       "Avatar trainings submitted to FAL (rows of avatars that started training)")
    by_status = Family("aisha_trainings", "gauge", "Submitted avatar trainings by current status")
    for row in _rows(conn, "SELECT status, count(*) AS n FROM avatars WHERE training_started_at IS NOT NULL "
                           "GROUP BY status"):
        by_status.add(_num(row["n"]), status=str(row["status"]))
    submitted.add(sum(v for _, v in by_status.samples))
    completed = Family("aisha_trainings_completed_total", "counter", "Avatar trainings completed")
    failed = Family("aisha_trainings_failed_total", "counter", "Avatar trainings that ended in error")
    completed.add(sum(v for labels, v in by_status.samples if labels["status"] == "completed"))
    failed.add(sum(v for labels, v in by_status.samples if labels["status"] == "error"))
    return [submitted, completed, failed, by_status]


def _generations(conn: Connection) -> list[Family]:
    family = Family("aisha_generations_total", "counter", "Generations by current status")
    images = Family("aisha_generated_images_total", "counter", "Images stored for completed generations")
    for row in _rows(conn, "SELECT status, count(*) AS n FROM generations GROUP BY status"):
        family.add(_num(row["n"]), status=str(row["status"]))
    images.add(_num(_rows(conn, "SELECT count(*) AS n FROM generation_images")[0]["n"]))
    return [family, images]


def _ledger(conn: Connection) -> list[Family]:
    entries = Family("aisha_ledger_entries_total", "counter", "Ledger entries by kind (append-only)")
    coins = Family("aisha_ledger_coins_total", "counter", "Sum of ledger amounts by kind, in coins")
    refunds = Family("aisha_refunds_total", "counter", "Refunds of charges (failed work, Stars refunds)")
    for row in _rows(conn, "SELECT kind, count(*) AS n, COALESCE(sum(amount), 0) AS s FROM ledger_entries "
                           "GROUP BY kind"):
        entries.add(_num(row["n"]), kind=str(row["kind"]))
        coins.add(_num(row["s"]), kind=str(row["kind"]))
        if row["kind"] == "refund":
            refunds.add(_num(row["n"]))
    if not refunds.samples:
        refunds.add(0)
    return [entries, coins, refunds]


def _deliveries(conn: Connection) -> list[Family]:
    family = Family("aisha_webhook_deliveries_total", "counter",
                    "Inbound deliveries journaled, by provider, outcome (journal status) and refusal or error code")
    for row in _rows(conn, "SELECT provider, status, COALESCE(error_code, '') AS code, count(*) AS n "
                           "FROM webhook_events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"):
        family.add(_num(row["n"]), provider=str(row["provider"]), outcome=str(row["status"]), code=str(row["code"]))
    parked = Family("aisha_parked_deliveries", "gauge", "Deliveries parked for an operator, by provider")
    oldest = Family("aisha_oldest_parked_age_seconds", "gauge",
                    "Age of the oldest parked delivery (0 when none is parked), by provider")
    found = {str(r["provider"]): r for r in _rows(
        conn, "SELECT provider, count(*) AS n, EXTRACT(EPOCH FROM now() - min(received_at)) AS age "
              "FROM webhook_events WHERE status = 'parked' GROUP BY provider")}
    for provider in ("fal", "telegram"):
        hit = found.get(provider)
        parked.add(_num(hit["n"]) if hit else 0, provider=provider)
        oldest.add(_num(hit["age"]) if hit else 0, provider=provider)
    last = Family("aisha_fal_last_completion_timestamp_seconds", "gauge",
                  "When a FAL delivery was last processed (Unix time; 0 if never)")
    last.add(_num(_rows(conn, "SELECT COALESCE(EXTRACT(EPOCH FROM max(processed_at)), 0) AS t FROM webhook_events "
                              "WHERE provider = 'fal' AND status = 'processed'")[0]["t"]))
    return [family, parked, oldest, last]


def _waiting(conn: Connection) -> list[Family]:
    family = Family("aisha_fal_work_waiting", "gauge", "Work submitted to FAL and not finished yet, by kind")
    row = _rows(conn, "SELECT (SELECT count(*) FROM avatars WHERE status = 'training') AS training, "
                      "(SELECT count(*) FROM generations WHERE status = 'queued') AS generation")[0]
    family.add(_num(row["training"]), kind="training")
    family.add(_num(row["generation"]), kind="generation")
    return [family]


def _outbox(conn: Connection) -> list[Family]:
    by_status = Family("aisha_notifications", "gauge",
                       "Messages to users in the outbox, by status (failed: the Telegram API refused them)")
    counts = {str(r["status"]): _num(r["n"]) for r in _rows(
        conn, "SELECT status, count(*) AS n FROM notifications GROUP BY status")}
    for status in ("pending", "sent", "failed"):
        by_status.add(counts.get(status, 0), status=status)
    backlog = Family("aisha_outbox_backlog", "gauge", "Messages to users not sent yet")
    backlog.add(counts.get("pending", 0))
    oldest = Family("aisha_outbox_oldest_pending_age_seconds", "gauge", "Age of the oldest unsent message (0: none)")
    oldest.add(_num(_rows(conn, "SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) AS age "
                                "FROM notifications WHERE status = 'pending'")[0]["age"]))
    return [by_status, backlog, oldest]


def _fal_retries(conn: Connection) -> list[Family]:
    given_up = Family("aisha_fal_work_given_up_total", "counter",
                      "FAL work failed for good after its processing tries ran out (refunded, user told), by kind")
    counts = {str(r["kind"]): _num(r["n"]) for r in _rows(
        conn, "SELECT CASE WHEN EXISTS (SELECT 1 FROM avatars a WHERE a.fal_request_id = "
              "split_part(e.delivery_key, '#', 1)) THEN 'training' ELSE 'generation' END AS kind, count(*) AS n "
              "FROM webhook_events e WHERE provider = 'fal' AND error_code = 'gave_up' GROUP BY 1")}
    for kind in ("training", "generation"):
        given_up.add(counts.get(kind, 0), kind=kind)
    retrying = Family("aisha_fal_deliveries_retrying", "gauge",
                      "FAL deliveries whose processing failed and waits for its next scheduled try")
    retrying.add(_num(_rows(conn, "SELECT count(*) AS n FROM webhook_events WHERE provider = 'fal' "
                                  "AND status = 'failed'")[0]["n"]))
    return [given_up, retrying]


def collect(conn: Connection) -> list[Family]:
    """Every family, read in the caller's transaction (make it read-only)."""
    return [*_trainings(conn), *_generations(conn), *_ledger(conn), *_deliveries(conn), *_waiting(conn),
            *_outbox(conn), *_fal_retries(conn)]
