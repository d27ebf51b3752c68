"""What a warm worker keeps between invocations: settings, pools, clients, one event loop.

Made on first use (never at import) and reused while the worker lives, as on Lambda. Each client
is built, and its library imported, by the property that makes it: a function that never talks to
Telegram never loads python-telegram-bot, one that never submits to FAL never loads fal-client.

A provisioned worker is the exception: Lambda runs its init ahead of demand
(AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency), so its function's entry point calls
`warm_if_provisioned` with what its invocations use, and the first invocation is as warm as the rest
instead of importing psycopg, connecting and fetching FAL's keys while a caller waits.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from functools import cache, cached_property, partial
from typing import TYPE_CHECKING

from aisha.resources import Resources

if TYPE_CHECKING:
    from telegram import Bot

    from aisha.fal.client import FalGateway
    from aisha.fal.jwks import JwksCache
    from aisha.invoke import FunctionInvoker
    from aisha.telegram.loop import ProcessLoop
    from aisha.telegram.notifier import Notifier


class WorkerState(Resources):
    CLOSED_AT_END = (*Resources.CLOSED_AT_END, "invoker")  # its connection kept for the next Event

    @cached_property
    def jwks(self) -> JwksCache:
        from aisha.fal.jwks import JwksCache

        return JwksCache(self.settings.fal_jwks_url,
                         min_refresh_interval=self.settings.fal_jwks_min_refresh_seconds)

    @cached_property
    def fal(self) -> FalGateway:
        from aisha.fal.client import FalGateway

        key = self.settings.fal_key
        return FalGateway(key.get_secret_value() if key else None)

    @cached_property
    def invoker(self) -> FunctionInvoker:
        from aisha.invoke import FunctionInvoker

        return FunctionInvoker(self.settings)

    @cached_property
    def loop(self) -> ProcessLoop:
        from aisha.telegram.loop import ProcessLoop

        return ProcessLoop()

    @cached_property
    def bot(self) -> Bot:
        from aisha.telegram.bot import make_bot

        return make_bot(self.settings)

    @cached_property
    def notifier(self) -> Notifier:
        from aisha.telegram.notifier import Notifier

        return Notifier(self.bot, self.storage, self.settings.s3_bucket_images, self.redis)

    def close(self) -> None:
        """As Resources.close, the bot's HTTP connections first, shut on the loop that opened them, and the
        pooled connections to FAL's file host."""
        loop, bot = self.__dict__.pop("loop", None), self.__dict__.pop("bot", None)
        if loop is not None:
            if bot is not None:
                loop.run(bot.shutdown())
            loop.close()
        files = sys.modules.get("aisha.fal.files")  # not imported here by a function that never fetched
        if files is not None:
            files.close_clients()
        super().close()

    async def ready_bot(self) -> Bot:
        """The bot, initialized once per worker (PTB calls getMe there)."""
        await self.bot.initialize()  # a no-op once done
        return self.bot


@cache
def state() -> WorkerState:
    from aisha.logs import configure_logging, secret_values

    worker = WorkerState.from_env()
    configure_logging(worker.settings.log_level, secret_values(worker.settings))
    return worker  # type: ignore[return-value]


PROVISIONED = "provisioned-concurrency"
log = logging.getLogger("aisha.worker")


def provisioned() -> bool:
    """This worker is a provisioned one: Lambda (and the runner) runs its init ahead of demand."""
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == PROVISIONED


def _bot(worker: WorkerState) -> None:
    worker.loop.run(worker.ready_bot())


WARM: dict[str, Callable[[WorkerState], object]] = {
    "db": lambda worker: worker.db.ping(),
    "redis": lambda worker: worker.redis.ping(),
    "jwks": lambda worker: worker.jwks.keys(),
    "invoker": lambda worker: worker.invoker,
    "bot": _bot,
}


def _warm_part(part: str) -> object:
    return WARM[part](state())


def warm_if_provisioned(*parts: str, **own: Callable[[], object]) -> None:
    """On a provisioned worker, build and connect `parts` (keys of WARM) now, at init, and call each of a
    function's `own` warm-ups (by name). Best effort: a service that is down is left to the first
    invocation, which meets it and answers as it always does."""
    unknown = set(parts) - set(WARM)
    if unknown:
        raise ValueError(f"nothing to warm up named {sorted(unknown)}; known: {sorted(WARM)}")
    if not provisioned():
        return
    steps: dict[str, Callable[[], object]] = {part: partial(_warm_part, part) for part in parts}
    for name, step in {**steps, **own}.items():
        try:
            step()
        except Exception as exc:
            log.warning("warm-up of %s failed: %s: %s", name, exc.__class__.__name__, exc)
