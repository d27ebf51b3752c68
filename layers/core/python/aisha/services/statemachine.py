"""The legal status transitions of avatars and generations; anything else is refused."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from aisha.errors import IllegalTransition
from aisha.models.enums import AvatarStatus as A
from aisha.models.enums import GenerationStatus as G

S = TypeVar("S", bound=StrEnum)

AVATAR_TRANSITIONS: Mapping[A, frozenset[A]] = {
    A.DRAFT: frozenset({A.PHOTOS_UPLOADING, A.CANCELLED}),
    A.PHOTOS_UPLOADING: frozenset({A.READY_FOR_TRAINING, A.CANCELLED}),
    # back to uploading when the user adds or removes photos at review
    A.READY_FOR_TRAINING: frozenset({A.PHOTOS_UPLOADING, A.TRAINING, A.CANCELLED}),
    A.TRAINING: frozenset({A.COMPLETED, A.ERROR, A.CANCELLED}),
    # a failed training may be tried again with the same photos
    A.ERROR: frozenset({A.READY_FOR_TRAINING}),
    A.COMPLETED: frozenset(),
    A.CANCELLED: frozenset(),
}

GENERATION_TRANSITIONS: Mapping[G, frozenset[G]] = {
    G.PENDING: frozenset({G.QUEUED, G.FAILED}),
    G.QUEUED: frozenset({G.COMPLETED, G.FAILED}),
    G.COMPLETED: frozenset(),
    G.FAILED: frozenset(),
}


def check_transition(what: str, table: Mapping[S, frozenset[S]], current: S, target: S) -> None:
    if target not in table[current]:
        raise IllegalTransition(
            f"{what} cannot go from {current.value} to {target.value}",
            details={"from": current.value, "to": target.value},
        )
