"""Database connections shared among runner instances: the runner's budget settings for a stack.

Each worker of a function may open up to its pool's maximum (`DB_POOL_MAX_SIZE`), and the runner only
knows generic numbers, so the stack tells it: `RUNNER_CONNECTIONS_PER_WORKER` = the pool maximum and
`RUNNER_MAX_CONNECTIONS` = this instance's equal share of what the database grants after `reserved`
connections kept for migrations, operators' psql, backups and the metrics scrape, and PostgreSQL's own
superuser reserve. For N instances: N x RUNNER_MAX_CONNECTIONS + reserved + 3 <= max_connections
(local_runner/README.md has the arithmetic).
"""

from __future__ import annotations

from collections.abc import Mapping

STACK_POOL_MAX = 4  # the pool maximum the stack gives its functions unless DB_POOL_MAX_SIZE says otherwise
RESERVED = 20
SUPERUSER_RESERVED = 3  # PostgreSQL's superuser_reserved_connections default: never available to the pools


class BudgetError(ValueError):
    """The database cannot give every instance room for even one worker."""


def connection_budget(env: Mapping[str, str], instances: int, max_connections: int,
                      reserved: int = RESERVED) -> dict[str, str]:
    """The settings for each instance; values already in `env` are kept by the caller (they win)."""
    pool = int(env.get("DB_POOL_MAX_SIZE") or STACK_POOL_MAX)
    share = (max_connections - reserved - SUPERUSER_RESERVED) // max(1, instances)
    if share < pool:
        raise BudgetError(f"max_connections={max_connections} leaves {share} connections per instance for "
                          f"{instances} instances ({reserved} reserved): fewer than one worker's pool ({pool})")
    return {"DB_POOL_MAX_SIZE": str(pool), "RUNNER_CONNECTIONS_PER_WORKER": str(pool),
            "RUNNER_MAX_CONNECTIONS": str(share)}
