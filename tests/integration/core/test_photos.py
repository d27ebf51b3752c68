from __future__ import annotations

import io
import uuid
from collections.abc import Callable

import pytest
from aisha.db import Database
from aisha.errors import ClientError, PhotoRejected
from aisha.models import AvatarStatus, Gender, TrainingType
from aisha.services import avatars, photos
from aisha.storage import Storage
from PIL import Image


def image_bytes(seed: int, size: tuple[int, int] = (640, 800), fmt: str = "JPEG") -> bytes:
    picture = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 13) % 256))
    picture.putpixel((seed % size[0], 0), (255, 255, 255))
    out = io.BytesIO()
    picture.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def bucket() -> str:
    return f"photos-{uuid.uuid4().hex[:10]}"


def _avatar(db: Database, user_id: int) -> int:
    with db.transaction() as conn:
        return avatars.create(conn, user_id, "Me", Gender.FEMALE, TrainingType.PORTRAIT).id


def _add(db: Database, storage: Storage, bucket: str, avatar_id: int, user_id: int, data: bytes) -> int:
    with db.transaction() as conn:
        return photos.add_photo(conn, storage, bucket, avatar_id, user_id, data).position


def _refusal(db: Database, storage: Storage, bucket: str, avatar_id: int, user_id: int, data: bytes) -> str:
    with pytest.raises(PhotoRejected) as caught:
        _add(db, storage, bucket, avatar_id, user_id, data)
    return caught.value.code


def test_photos_are_stored_listed_and_duplicates_refused(
    db: Database, storage: Storage, bucket: str, make_user: Callable[..., int]
) -> None:
    user_id = make_user()
    avatar_id = _avatar(db, user_id)
    positions = [_add(db, storage, bucket, avatar_id, user_id, image_bytes(i)) for i in range(10)]
    assert positions == list(range(10))
    assert _refusal(db, storage, bucket, avatar_id, user_id, image_bytes(3)) == "photo_duplicate"
    with db.transaction() as conn:
        listed = photos.list_photos(conn, avatar_id)
        assert avatars.get(conn, avatar_id).status is AvatarStatus.PHOTOS_UPLOADING
    assert len(listed) == 10
    assert all(p.s3_key.startswith(f"{user_id}/avatars/{avatar_id}/photos/") for p in listed)
    assert storage.get(bucket, listed[0].s3_key) == image_bytes(0)
    assert sorted(storage.list_keys(bucket, f"{user_id}/")) == sorted(p.s3_key for p in listed)
    with db.transaction() as conn:
        photos.mark_ready(conn, avatar_id, user_id)
        assert avatars.get(conn, avatar_id).status is AvatarStatus.READY_FOR_TRAINING


def test_bad_photos_are_refused_with_their_reason(
    db: Database, storage: Storage, bucket: str, make_user: Callable[..., int]
) -> None:
    user_id = make_user()
    avatar_id = _avatar(db, user_id)
    assert _refusal(db, storage, bucket, avatar_id, user_id, image_bytes(1, (400, 900))) == "photo_too_small"
    assert _refusal(db, storage, bucket, avatar_id, user_id, b"%PDF-1.4 not an image") == "photo_unreadable"
    assert _refusal(db, storage, bucket, avatar_id, user_id, image_bytes(2, fmt="GIF")) == "photo_type"
    assert _refusal(db, storage, bucket, avatar_id, user_id, b"\xff" * (20 * 1024 * 1024 + 1)) == "photo_too_large"
    assert _add(db, storage, bucket, avatar_id, user_id, image_bytes(5, fmt="PNG")) == 0
    assert _add(db, storage, bucket, avatar_id, user_id, image_bytes(6, fmt="WEBP")) == 1
    with db.transaction() as conn:
        assert len(photos.list_photos(conn, avatar_id)) == 2


def test_twenty_photos_at_most_and_ten_to_train(
    db: Database, storage: Storage, bucket: str, make_user: Callable[..., int]
) -> None:
    user_id = make_user()
    avatar_id = _avatar(db, user_id)
    for i in range(9):
        _add(db, storage, bucket, avatar_id, user_id, image_bytes(100 + i))
    with pytest.raises(ClientError) as caught, db.transaction() as conn:
        photos.mark_ready(conn, avatar_id, user_id)
    assert caught.value.code == "photo_count"
    for i in range(9, 20):
        _add(db, storage, bucket, avatar_id, user_id, image_bytes(100 + i))
    assert _refusal(db, storage, bucket, avatar_id, user_id, image_bytes(999)) == "photo_limit"


def test_removing_a_photo_renumbers_and_deletes_the_object(
    db: Database, storage: Storage, bucket: str, make_user: Callable[..., int]
) -> None:
    user_id = make_user()
    avatar_id = _avatar(db, user_id)
    for i in range(4):
        _add(db, storage, bucket, avatar_id, user_id, image_bytes(200 + i))
    with db.transaction() as conn:
        second = photos.list_photos(conn, avatar_id)[1]
        photos.remove_photo(conn, storage, bucket, avatar_id, user_id, second.id)
        remaining = photos.list_photos(conn, avatar_id)
    assert [p.position for p in remaining] == [0, 1, 2]
    assert second.id not in [p.id for p in remaining]
    assert not storage.exists(bucket, second.s3_key)


def test_someone_elses_avatar_is_not_found(
    db: Database, storage: Storage, bucket: str, make_user: Callable[..., int]
) -> None:
    owner, stranger = make_user(), make_user()
    avatar_id = _avatar(db, owner)
    with pytest.raises(ClientError) as caught:
        _add(db, storage, bucket, avatar_id, stranger, image_bytes(1))
    assert caught.value.code == "avatar_not_found"
