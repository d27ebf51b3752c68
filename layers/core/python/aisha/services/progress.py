"""Training progress: where each training stands at FAL, as a percentage we can show the user.

FAL's trainers report no step count, so the percentage is the time trained so far against the
preset's usual duration, held below 100 until the LoRA is actually stored; while FAL still has the
job queued it is 0 with the queue position. A stored percentage only grows.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aisha.errors import FalError
from aisha.models import PRESETS, Avatar, Progress

if TYPE_CHECKING:
    from aisha.db import Database
    from aisha.fal.client import FalGateway
from aisha.services import avatars

log = logging.getLogger(__name__)
CEILING = 95


def estimate(avatar: Avatar, running_since: datetime | None, now: datetime) -> int:
    if running_since is None:
        return 0
    elapsed = (now - running_since).total_seconds()
    return max(0, min(CEILING, int(elapsed * 100 / PRESETS[avatar.preset].usual_seconds)))


def training_progress(db: Database, fal: FalGateway, *, now: datetime | None = None,
                      quiet_seconds: int = 60) -> list[Progress]:
    """Trainings submitted more than `quiet_seconds` ago (a short one is not worth a progress message)."""
    now = now or datetime.now(UTC)
    with db.transaction() as conn:
        rows = conn.execute(f"SELECT {avatars.COLUMNS} FROM avatars WHERE status = 'training' "
                            "AND fal_request_id IS NOT NULL AND training_started_at < %s - make_interval(secs => %s) "
                            "ORDER BY id LIMIT 500", (now, quiet_seconds)).fetchall()
    found: list[Progress] = []
    for row in rows:
        avatar = Avatar.from_row(row)
        try:
            status = fal.status(avatar.fal_model or "", avatar.fal_request_id or "")
        except FalError as exc:  # the next run asks again; one FAL hiccup is no reason to stop the rest
            log.warning("FAL status of avatar %s: %s", avatar.id, exc.message)
            continue
        if status.state == "IN_QUEUE":
            found.append(Progress(avatar, 0, (status.position or 0) + 1))
            continue
        percent = max(avatar.progress, estimate(avatar, avatar.training_started_at, now))
        if percent != avatar.progress:
            with db.transaction() as conn:
                conn.execute("UPDATE avatars SET progress = GREATEST(progress, %s) WHERE id = %s AND "
                             "status = 'training'", (percent, avatar.id))
        found.append(Progress(avatar, percent, None))
    return found


def finished_trainings(db: Database, *, within_seconds: int = 3600) -> list[Avatar]:
    """Trainings that ended lately (ready, failed, cancelled): their progress message is finished."""
    with db.transaction() as conn:
        rows = conn.execute(f"SELECT {avatars.COLUMNS} FROM avatars WHERE status IN ('completed', 'error', "
                            "'cancelled') AND fal_request_id IS NOT NULL "
                            "AND finished_at > now() - make_interval(secs => %s) ORDER BY id LIMIT 500",
                            (within_seconds,)).fetchall()
    return [Avatar.from_row(row) for row in rows]
