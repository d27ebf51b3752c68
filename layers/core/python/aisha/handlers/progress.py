"""The progress function (every minute): tell each user how their training advances (one edited message)."""

from __future__ import annotations

import logging
from typing import Any

from aisha.models import Progress
from aisha.services import progress, users
from aisha.telegram.progress import publish
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
    return {"training": len(found), "updated": shown}


async def _publish(worker: WorkerState, item: Progress, language: str) -> bool:
    bot = await worker.ready_bot()
    return bool(await publish(bot, worker.redis, item, language))
