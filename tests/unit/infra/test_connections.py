"""The stack's database-connection budget for its runner instances."""

from __future__ import annotations

import pytest

from infra.connections import RESERVED, STACK_POOL_MAX, SUPERUSER_RESERVED, BudgetError, connection_budget


def test_each_instance_gets_an_equal_share_after_the_reserve() -> None:
    budget = connection_budget({}, instances=2, max_connections=200)
    assert budget == {"DB_POOL_MAX_SIZE": str(STACK_POOL_MAX), "RUNNER_CONNECTIONS_PER_WORKER": str(STACK_POOL_MAX),
                      "RUNNER_MAX_CONNECTIONS": str((200 - RESERVED - SUPERUSER_RESERVED) // 2)}
    assert 2 * int(budget["RUNNER_MAX_CONNECTIONS"]) + RESERVED + SUPERUSER_RESERVED <= 200


def test_the_functions_pool_size_is_what_each_worker_counts() -> None:
    budget = connection_budget({"DB_POOL_MAX_SIZE": "2"}, instances=3, max_connections=100, reserved=10)
    assert budget["RUNNER_CONNECTIONS_PER_WORKER"] == "2" and budget["RUNNER_MAX_CONNECTIONS"] == "29"


def test_a_database_too_small_for_one_worker_per_instance_is_refused() -> None:
    with pytest.raises(BudgetError, match="fewer than one worker's pool"):
        connection_budget({"DB_POOL_MAX_SIZE": "8"}, instances=4, max_connections=40)
