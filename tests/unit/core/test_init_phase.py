"""aisha.init_phase: the collector paused while an init imports, what it made frozen, the collector's state
restored whatever the init did."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from aisha.init_phase import init_phase


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


def test_the_collector_pauses_inside_and_what_was_made_is_frozen_after() -> None:
    gc.enable()
    frozen = gc.get_freeze_count()
    with init_phase():
        assert not gc.isenabled()
        made = [[n] for n in range(1000)]  # lists: always tracked by the collector
    assert gc.isenabled()
    assert gc.get_freeze_count() - frozen >= len(made)
    assert not any(o is made[0] for o in gc.get_objects())  # out of every generation the collector walks


def test_a_failed_init_still_turns_the_collector_back_on() -> None:
    gc.enable()
    with pytest.raises(ImportError), init_phase():
        raise ImportError("no module named nowhere")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with init_phase():
        pass
    assert not gc.isenabled()
