"""Avatar photos: checked, refused when duplicate (same SHA-256 in the avatar), stored, listed."""

from __future__ import annotations

import hashlib

from psycopg import errors as pg_errors

from aisha.db import Connection
from aisha.errors import ClientError, PhotoRejected
from aisha.images import inspect_photo
from aisha.keys import photo_key
from aisha.models import AvatarPhoto, AvatarStatus
from aisha.services import avatars
from aisha.storage import Storage

MIN_PHOTOS = 10
MAX_PHOTOS = 20
_COLUMNS = "id, avatar_id, s3_key, content_type, size_bytes, width, height, sha256, position, created_at"
_UPLOADABLE = {AvatarStatus.DRAFT, AvatarStatus.PHOTOS_UPLOADING, AvatarStatus.READY_FOR_TRAINING}


def list_photos(conn: Connection, avatar_id: int) -> list[AvatarPhoto]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM avatar_photos WHERE avatar_id = %s ORDER BY position", (avatar_id,)
    ).fetchall()
    return [AvatarPhoto.from_row(row) for row in rows]


def add_photo(conn: Connection, storage: Storage, bucket: str, avatar_id: int, user_id: int,
              data: bytes) -> AvatarPhoto:
    """Check and store one photo. Raises PhotoRejected with the reason's code when refused."""
    info = inspect_photo(data)
    avatar = avatars.get(conn, avatar_id, user_id=user_id, lock=True)  # serializes uploads per avatar
    if avatar.status not in _UPLOADABLE:
        raise ClientError(f"photos cannot be added to a {avatar.status.value} avatar", code="avatar_locked")
    digest = hashlib.sha256(data).hexdigest()
    existing = list_photos(conn, avatar_id)
    if any(photo.sha256 == digest for photo in existing):
        raise PhotoRejected("this photo is already in the set", code="photo_duplicate")
    if len(existing) >= MAX_PHOTOS:
        raise PhotoRejected(f"an avatar takes at most {MAX_PHOTOS} photos", code="photo_limit")
    key = photo_key(user_id, avatar_id, digest, info.content_type)
    storage.put(bucket, key, data, info.content_type)  # same content, same key: a retry is harmless
    try:
        with conn.transaction():
            row = conn.execute(
                f"""INSERT INTO avatar_photos (avatar_id, s3_key, content_type, size_bytes, width, height,
                        sha256, position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_COLUMNS}""",
                (avatar_id, key, info.content_type, info.size_bytes, info.width, info.height, digest,
                 len(existing)),
            ).fetchone()
    except pg_errors.UniqueViolation:
        raise PhotoRejected("this photo is already in the set", code="photo_duplicate") from None
    if avatar.status is AvatarStatus.DRAFT:
        avatars.transition(conn, avatar_id, AvatarStatus.PHOTOS_UPLOADING)
    return AvatarPhoto.from_row(row)


def remove_photo(conn: Connection, storage: Storage, bucket: str, avatar_id: int, user_id: int,
                 photo_id: int) -> None:
    avatar = avatars.get(conn, avatar_id, user_id=user_id, lock=True)
    if avatar.status not in _UPLOADABLE:
        raise ClientError(f"photos cannot be removed from a {avatar.status.value} avatar", code="avatar_locked")
    row = conn.execute(
        "DELETE FROM avatar_photos WHERE id = %s AND avatar_id = %s RETURNING s3_key, position",
        (photo_id, avatar_id),
    ).fetchone()
    if row is None:
        raise ClientError(f"no photo {photo_id} in avatar {avatar_id}", code="photo_not_found")
    # keep positions dense so the next photo takes the end
    conn.execute("UPDATE avatar_photos SET position = position - 1 WHERE avatar_id = %s AND position > %s",
                 (avatar_id, row["position"]))
    storage.delete(bucket, row["s3_key"])
    if avatar.status is AvatarStatus.READY_FOR_TRAINING and len(list_photos(conn, avatar_id)) < MIN_PHOTOS:
        avatars.transition(conn, avatar_id, AvatarStatus.PHOTOS_UPLOADING)


def mark_ready(conn: Connection, avatar_id: int, user_id: int) -> None:
    """The set is complete: 10 to 20 photos -> ready_for_training."""
    avatars.get(conn, avatar_id, user_id=user_id, lock=True)
    count = len(list_photos(conn, avatar_id))
    if not MIN_PHOTOS <= count <= MAX_PHOTOS:
        raise ClientError(f"an avatar needs {MIN_PHOTOS} to {MAX_PHOTOS} photos, it has {count}",
                          code="photo_count", details={"count": count})
    avatars.transition(conn, avatar_id, AvatarStatus.READY_FOR_TRAINING)
