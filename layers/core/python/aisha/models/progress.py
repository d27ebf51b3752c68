"""Where a training stands, as the progress sweep found it and the progress message shows it."""

from __future__ import annotations

from dataclasses import dataclass

from aisha.models.entities import Avatar


@dataclass(frozen=True)
class Progress:
    avatar: Avatar
    percent: int
    queue_position: int | None  # set while FAL has it queued (1 = next)
