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

# Scenarios that fail on this branch because of a bug another branch of issue 11 fixes: flip them (remove
# the entry) once it is merged. strict: an unexpected pass fails too, so a stale entry is noticed.
_DISPATCHER = ("dispatcher drops (issue 11 item 6): a dispatcher that dies holding a chat leaves the update it "
               "popped 'processing' and the chat's lock held for 120 s; the acknowledged /start is done only when "
               "fal_reconcile requeues stuck updates, minutes later")
KNOWN_BUGS = {
    "kill-worker": _DISPATCHER,
    "kill-runner": _DISPATCHER,
    "redis-restart": "dispatcher drops (issue 11 item 6): an update whose flow fails while Redis restarts is parked, "
                     "never retried (the user is registered, welcome and menu are never sent), and the chat's "
                     "lock is left held for its 120 s",
    "telegram-429": "Telegram 429 (issue 11 item 2): RetryAfter is not honoured; the /start update is parked after "
                    "the user and bonus were written, so welcome and menu are lost; the image notification stays "
                    "pending in the outbox",
}


# Failing on this branch in some runs only (about half at N = 3): the restart has to catch a dispatcher
# mid-update, which a short run does not always arrange. Not strict, so a lucky run does not fail the suite.
INTERMITTENT = {
    "postgres-restart": "dispatcher drops (issue 11 item 6), when the restart catches a dispatcher mid-update: "
                        "handle_event's last transaction fails, _safe swallows it, the popped update stays "
                        "'processing' (or is parked) and the acknowledged /start registers nobody",
}


def _scenarios() -> list[object]:
    def marked(name: str) -> object:
        if name in KNOWN_BUGS:
            return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
        if name in INTERMITTENT:
            return pytest.param(name, marks=pytest.mark.xfail(strict=False, reason=INTERMITTENT[name]))
        return name

    return [marked(name) for name in SCENARIOS]


def _run(stack: ChaosStack, name: str) -> Outcome:
    outcome = run_scenario(stack, SCENARIOS[name], n=N, spread=SPREAD, down=DOWN, settle=20.0)
    print(details(outcome))
    return outcome


@pytest.mark.parametrize("name", _scenarios())
def test_nothing_acknowledged_is_lost_or_done_twice(chaos_stack: ChaosStack, name: str) -> None:
    outcome = _run(chaos_stack, name)
    if SCENARIOS[name].fault is not None:
        assert outcome.hits > 0, f"the fault did not hit: {outcome.fault}"
    domain, messages = outcome.effects.total("domain"), outcome.effects.total("messages")
    assert domain.expected == 6 * N and messages.expected == 3 * N
    assert (domain.lost, domain.duplicated, messages.lost) == (0, 0, 0), details(outcome)
    assert outcome.unacked == 0, details(outcome)
    assert not outcome.left, details(outcome)
