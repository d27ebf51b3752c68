"""The chaos suite's short form: every scenario of bench.chaos at a small N with short faults.

Each drives N new users' /start and N FAL completions through nginx, injects its fault mid-run, resends
as Telegram and FAL do, waits for the queues to drain and holds the issue's bar: 0 lost and 0 duplicated
domain effects, 0 lost messages (duplicated messages are printed, not failed). The long form, with the
figures in the README: `python -m bench.chaos`.
"""

from __future__ import annotations

import pytest

from bench.chaos import SCENARIOS, Outcome, details, run_scenario
from bench.chaos_stack import ChaosStack

pytestmark = pytest.mark.e2e

N = 3
DOWN = 2.0  # seconds a fault lasts
SPREAD = 2.0  # seconds over which the deliveries start; the fault starts halfway

def _run(stack: ChaosStack, name: str) -> Outcome:
    outcome = run_scenario(stack, SCENARIOS[name], n=N, spread=SPREAD, down=DOWN, settle=30.0)
    print(details(outcome))
    return outcome


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_nothing_acknowledged_is_lost_or_done_twice(chaos_stack: ChaosStack, name: str) -> None:
    outcome = _run(chaos_stack, name)
    if SCENARIOS[name].fault is not None:
        assert outcome.hits > 0, f"the fault did not hit: {outcome.fault}"
    domain, messages = outcome.effects.total("domain"), outcome.effects.total("messages")
    assert domain.expected == 6 * N and messages.expected == 3 * N
    assert (domain.lost, domain.duplicated, messages.lost) == (0, 0, 0), details(outcome)
    assert outcome.unacked == 0, details(outcome)
    assert not outcome.left, details(outcome)
