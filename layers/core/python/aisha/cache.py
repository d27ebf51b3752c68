"""Redis for short-lived state (conversation state, album aggregation, rate limits, locks)."""

from __future__ import annotations

import redis


def redis_client(url: str, *, timeout: float = 5.0) -> redis.Redis:
    """A client with bounded socket timeouts; connections are made on first command."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
        decode_responses=False,
    )
