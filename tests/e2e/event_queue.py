"""The runners' Event queue as the e2e tests observe it."""

from __future__ import annotations

from collections.abc import Mapping


def events_settled(env: Mapping[str, str]) -> bool:
    """The queue (REDIS_URL, RUNNER_EVENTS_PREFIX) holds nothing queued, running or waiting to retry: all
    the asynchronous work handed on so far has finished, and no further attempt can follow."""
    from local_runner.async_events import read_stats

    now = read_stats(env["REDIS_URL"], env["RUNNER_EVENTS_PREFIX"])
    return now["stream"] == now["pending"] == now["delayed"] == 0
