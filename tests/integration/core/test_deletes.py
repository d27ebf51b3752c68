"""Deleting avatars and generations: the rows go, the object keys to remove come back, the rules hold
(not while training or running, not someone else's, another avatar becomes the main one)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aisha.db import Database
from aisha.errors import Conflict, NotFound
from aisha.models import Gender, GenerationStatus, TrainingType
from aisha.services import avatars, generations


def _avatar(db: Database, user_id: int, name: str, status: str = "draft", lora: bool = False) -> int:
    with db.transaction() as conn:
        avatar_id = avatars.create(conn, user_id, name, Gender.MALE, TrainingType.PORTRAIT).id
        lora_key = f"{user_id}/avatars/{avatar_id}/lora/weights.safetensors" if lora else None
        conn.execute("UPDATE avatars SET status = %s, lora_key = %s WHERE id = %s", (status, lora_key, avatar_id))
        conn.execute("""INSERT INTO avatar_photos (avatar_id, s3_key, content_type, size_bytes, width, height, sha256,
                        position) VALUES (%s, %s, 'image/jpeg', 1, 600, 600, %s, 0)""",
                     (avatar_id, f"{user_id}/avatars/{avatar_id}/photos/a.jpg", f"{avatar_id:064x}"))
    return avatar_id


def test_an_avatar_is_deleted_with_its_keys_and_the_main_one_passes_on(db: Database,
                                                                        make_user: Callable[..., int]) -> None:
    user_id = make_user()
    main = _avatar(db, user_id, "Main", "completed", lora=True)
    draft = _avatar(db, user_id, "Draft")
    ready = _avatar(db, user_id, "Ready", "completed", lora=True)
    with db.transaction() as conn:
        generation = generations.create(conn, user_id, "kept", num_images=1, cost=0, avatar_id=main)
        keys = avatars.delete(conn, user_id, main)
    assert sorted(keys) == sorted([f"{user_id}/avatars/{main}/photos/a.jpg",
                                   f"{user_id}/avatars/{main}/lora/weights.safetensors"])
    with db.transaction() as conn:
        left = {a.id: a.is_main for a in avatars.list_for_user(conn, user_id)}
        assert left == {draft: False, ready: True}  # a completed avatar is preferred as the next main
        assert conn.execute("SELECT count(*) AS n FROM avatar_photos WHERE avatar_id = %s", (main,)).fetchone() == \
            {"n": 0}
        assert generations.get(conn, generation.id).avatar_id is None  # the history stays
        assert avatars.delete(conn, user_id, draft) == [f"{user_id}/avatars/{draft}/photos/a.jpg"]


def test_an_avatar_in_training_or_of_another_user_is_not_deleted(db: Database,
                                                                 make_user: Callable[..., int]) -> None:
    user_id, stranger = make_user(), make_user()
    training = _avatar(db, user_id, "Busy", "training")
    with db.transaction() as conn, pytest.raises(Conflict):
        avatars.delete(conn, user_id, training)
    with db.transaction() as conn, pytest.raises(NotFound):
        avatars.delete(conn, stranger, training)
    with db.transaction() as conn:
        assert avatars.get(conn, training).name == "Busy"


def test_a_finished_generation_is_deleted_with_its_image_keys(db: Database, make_user: Callable[..., int]) -> None:
    user_id, stranger = make_user(), make_user()
    with db.transaction() as conn:
        generation = generations.create(conn, user_id, "two", num_images=2, cost=0)
        generations.transition(conn, generation.id, GenerationStatus.QUEUED)
        with pytest.raises(Conflict):
            generations.delete(conn, user_id, generation.id)
        generations.transition(conn, generation.id, GenerationStatus.COMPLETED)
        for position in (0, 1):
            key = f"{user_id}/generations/{generation.id}/{position}.png"
            generations.add_image(conn, generation.id, position, key, "image/png")
        assert generations.count_for_user(conn, user_id) == 1
    with db.transaction() as conn, pytest.raises(NotFound):
        generations.delete(conn, stranger, generation.id)
    with db.transaction() as conn:
        keys = generations.delete(conn, user_id, generation.id)
        assert keys == [f"{user_id}/generations/{generation.id}/{p}.png" for p in (0, 1)]
        assert generations.count_for_user(conn, user_id) == 0
        assert generations.images(conn, generation.id) == []
