"""When a pool starts one more worker for its queue (local_runner/pace.py)."""

from __future__ import annotations

from local_runner.pace import Pace


def test_below_one_busy_worker_per_core_it_scales_as_lambda_does() -> None:
    pace = Pace(duration=0.005, init=1.0, cores=2)
    assert pace.worth_an_init(waiting=1, busy=1)


def test_with_unknown_means_it_scales() -> None:
    assert Pace(cores=2).worth_an_init(waiting=1, busy=8)
    assert Pace(duration=0.005, cores=2).worth_an_init(waiting=1, busy=8)


def test_short_invocations_clear_the_queue_before_an_init_would_end() -> None:
    pace = Pace(duration=0.005, init=1.0, cores=2)
    assert not pace.worth_an_init(waiting=16, busy=2)  # 16 x 5 ms / 2 = 40 ms, against 1 s to start one


def test_long_invocations_or_a_long_queue_are_worth_a_worker() -> None:
    assert Pace(duration=0.5, init=1.0, cores=2).worth_an_init(waiting=8, busy=2)  # 2 s of queue
    assert Pace(duration=0.005, init=1.0, cores=2).worth_an_init(waiting=1000, busy=2)


def test_the_means_follow_a_function_that_turns_slow() -> None:
    pace = Pace(cores=2)
    pace.invoked(0.4, init=0.6)  # a new worker's first invocation counts to its start: 1 s
    assert pace.init == 1.0 and pace.duration is None
    for _ in range(20):
        pace.invoked(0.005)
    assert not pace.worth_an_init(waiting=8, busy=2)
    for _ in range(10):
        pace.invoked(0.5)  # now it waits on a network call
    assert pace.worth_an_init(waiting=8, busy=2)
