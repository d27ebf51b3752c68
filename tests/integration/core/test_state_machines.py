"""Every (from, to) pair of both status machines against the database: legal ones are stored,
illegal ones refused with nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

import pytest
from aisha.db import Database
from aisha.errors import IllegalTransition
from aisha.models import AvatarStatus, Gender, GenerationStatus, TrainingType
from aisha.services import avatars, generations
from aisha.services.statemachine import AVATAR_TRANSITIONS, GENERATION_TRANSITIONS

LEGAL_AVATAR = {
    ("draft", "photos_uploading"), ("draft", "cancelled"),
    ("photos_uploading", "ready_for_training"), ("photos_uploading", "cancelled"),
    ("ready_for_training", "photos_uploading"), ("ready_for_training", "training"),
    ("ready_for_training", "cancelled"),
    ("training", "completed"), ("training", "error"), ("training", "cancelled"),
    ("error", "ready_for_training"),
}
LEGAL_GENERATION = {("pending", "queued"), ("pending", "failed"), ("queued", "completed"), ("queued", "failed")}


def test_the_tables_are_the_documented_ones() -> None:
    assert {(a.value, b.value) for a, targets in AVATAR_TRANSITIONS.items() for b in targets} == LEGAL_AVATAR
    assert {(a.value, b.value) for a, targets in GENERATION_TRANSITIONS.items() for b in targets} == \
        LEGAL_GENERATION


@pytest.mark.parametrize(("current", "target"), list(product(AvatarStatus, AvatarStatus)),
                         ids=lambda s: s.value)
def test_avatar_transition(db: Database, make_user: Callable[..., int], current: AvatarStatus,
                           target: AvatarStatus) -> None:
    user_id = make_user()
    with db.transaction() as conn:
        avatar = avatars.create(conn, user_id, "Me", Gender.FEMALE, TrainingType.PORTRAIT)
        # put the row in `current` directly; completed rows must have their LoRA stored
        conn.execute("UPDATE avatars SET status = %s, lora_key = 'k' WHERE id = %s", (current.value, avatar.id))
    fields = {"lora_key": f"{user_id}/lora.safetensors"} if target is AvatarStatus.COMPLETED else {}
    if (current.value, target.value) in LEGAL_AVATAR:
        with db.transaction() as conn:
            moved = avatars.transition(conn, avatar.id, target, **fields)
        assert moved.status is target
        with db.transaction() as conn:
            assert avatars.get(conn, avatar.id).status is target
    else:
        with pytest.raises(IllegalTransition) as caught, db.transaction() as conn:
            avatars.transition(conn, avatar.id, target, **fields)
        assert caught.value.details == {"from": current.value, "to": target.value}
        assert caught.value.status == 409
        with db.transaction() as conn:
            assert avatars.get(conn, avatar.id).status is current


def test_an_avatar_cannot_complete_without_its_lora(db: Database, make_user: Callable[..., int]) -> None:
    user_id = make_user()
    with db.transaction() as conn:
        avatar = avatars.create(conn, user_id, "Me", Gender.MALE, TrainingType.STYLE)
        conn.execute("UPDATE avatars SET status = 'training' WHERE id = %s", (avatar.id,))
    with pytest.raises(Exception, match="check"), db.transaction() as conn:
        avatars.transition(conn, avatar.id, AvatarStatus.COMPLETED)


@pytest.mark.parametrize(("current", "target"), list(product(GenerationStatus, GenerationStatus)),
                         ids=lambda s: s.value)
def test_generation_transition(db: Database, make_user: Callable[..., int], current: GenerationStatus,
                               target: GenerationStatus) -> None:
    user_id = make_user()
    with db.transaction() as conn:
        generation = generations.create(conn, user_id, "a cat", num_images=1, cost=5)
        conn.execute("UPDATE generations SET status = %s WHERE id = %s", (current.value, generation.id))
    if (current.value, target.value) in LEGAL_GENERATION:
        with db.transaction() as conn:
            assert generations.transition(conn, generation.id, target).status is target
        with db.transaction() as conn:
            assert generations.get(conn, generation.id).status is target
    else:
        with pytest.raises(IllegalTransition), db.transaction() as conn:
            generations.transition(conn, generation.id, target)
        with db.transaction() as conn:
            assert generations.get(conn, generation.id).status is current


def test_one_main_avatar_per_user(db: Database, make_user: Callable[..., int]) -> None:
    user_id = make_user()
    with db.transaction() as conn:
        first = avatars.create(conn, user_id, "One", Gender.FEMALE, TrainingType.PORTRAIT)
        second = avatars.create(conn, user_id, "Two", Gender.FEMALE, TrainingType.PORTRAIT)
        assert first.is_main and not second.is_main
        avatars.set_main(conn, user_id, second.id)
        mains = [a.id for a in avatars.list_for_user(conn, user_id) if a.is_main]
    assert mains == [second.id]
