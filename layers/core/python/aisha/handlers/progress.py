"""The progress function (every minute): tell each user how their training advances (one edited message)."""

from __future__ import annotations

import logging
from typing import Any

from aisha.models import Avatar, Progress
from aisha.services import progress, users
from aisha.telegram.progress import finish, publish
from aisha.worker import WorkerState, state

log = logging.getLogger("aisha.fal")


def progress_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    worker = state()
    found = progress.training_progress(worker.db, worker.fal)
    shown = 0
    for item in found:
        with worker.db.transaction() as conn:
            language = users.get_user(conn, item.avatar.user_id).language.value
        try:
            shown += worker.loop.run(_publish(worker, item, language))
        except Exception as exc:  # one user's chat failing must not stop the others
            log.warning("progress of avatar %s not shown: %s", item.avatar.id, exc)
    finished = 0
    for avatar in progress.finished_trainings(worker.db):  # no progress message stays at "about 95 %"
        with worker.db.transaction() as conn:
            language = users.get_user(conn, avatar.user_id).language.value
        try:
            finished += worker.loop.run(_finish(worker, avatar, language))
        except Exception as exc:  # the next run tries again
            log.warning("progress of avatar %s not finished: %s", avatar.id, exc)
    return {"training": len(found), "updated": shown, "finished": finished}


async def _finish(worker: WorkerState, avatar: Avatar, language: str) -> bool:
    bot = await worker.ready_bot()
    return await finish(bot, worker.redis, avatar, language)


async def _publish(worker: WorkerState, item: Progress, language: str) -> bool:
    bot = await worker.ready_bot()
    return bool(await publish(bot, worker.redis, item, language))
