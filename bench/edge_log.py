"""What nginx saw: its JSON access log (infra/nginx) read from a mark, per request kind and status.

The load generators cannot tell which answer belongs to which request (wrk counts statuses only), so the
benchmarks tag each request with its kind in the query (`?mix=<kind>`, ignored by the functions) and
count correct answers from nginx's own lines, with nginx's request_time for each (the latency at the
edge: no queueing in the load generator in it).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


@dataclass
class EdgeAnswers:
    counts: Counter[tuple[str, int]] = field(default_factory=Counter)  # (kind, status) -> requests
    seconds: dict[int, list[float]] = field(default_factory=dict)  # status -> nginx request_time of each

    def correct(self, expected: dict[str, int]) -> int:
        return sum(n for (kind, status), n in self.counts.items() if expected.get(kind) == status)

    def pct_ms(self, q: float, statuses: tuple[int, ...]) -> float:
        data = sorted(t for s in statuses for t in self.seconds.get(s, []))
        return data[min(len(data) - 1, int(q / 100 * len(data)))] * 1000 if data else float("nan")


class EdgeLog:
    def __init__(self, stack_state: Path) -> None:
        self.path = stack_state / "nginx" / "logs" / "access.log"

    def mark(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def since(self, mark: int) -> EdgeAnswers:
        answers = EdgeAnswers()
        with self.path.open("rb") as log:
            log.seek(mark)
            for line in log:
                entry = json.loads(line)
                kind = parse_qs(urlsplit(entry["uri"]).query).get("mix", ["untagged"])[0]
                answers.counts[(kind, entry["status"])] += 1
                answers.seconds.setdefault(entry["status"], []).append(float(entry["request_time"]))
        return answers
