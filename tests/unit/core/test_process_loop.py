"""A worker's one event loop: kept across invocations, ended by `close`, made again after."""

from __future__ import annotations

import asyncio

from aisha.telegram.loop import ProcessLoop


async def _running() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_the_loop_is_kept_until_closed_and_a_new_one_follows() -> None:
    loop = ProcessLoop()
    first = loop.run(_running())
    assert loop.run(_running()) is first  # invocations share it: clients bound to it stay usable
    loop.close()
    assert first.is_closed()
    second = loop.run(_running())
    assert second is not first and not second.is_closed()
    loop.close()
    loop.close()  # closing twice is harmless (a worker's state reset after its end)
    assert second.is_closed()
