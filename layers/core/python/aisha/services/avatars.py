"""Avatars: creation, the status machine, the main avatar."""

from __future__ import annotations

import secrets
from typing import Any

from aisha.db import Connection
from aisha.errors import ClientError, Conflict, NotFound
from aisha.models import Avatar, AvatarStatus, Gender, Preset, TrainingType
from aisha.services import rows
from aisha.services.statemachine import AVATAR_TRANSITIONS, check_transition

COLUMNS = (
    "id, user_id, name, gender, training_type, preset, trigger_phrase, is_main, status, fal_request_id, "
    "fal_model, training_charge_id, lora_key, config_key, progress, error, created_at, updated_at, "
    "training_started_at, finished_at"
)
_SETTABLE = {
    "fal_request_id", "fal_model", "training_charge_id", "lora_key", "config_key", "progress", "error",
    "training_started_at", "finished_at",
}


def new_trigger_phrase() -> str:
    # a rare token the base model has no meaning for, unique per avatar (UNIQUE in the schema)
    return f"aisha{secrets.token_hex(4)}"


def create(conn: Connection, user_id: int, name: str, gender: Gender, training_type: TrainingType,
           preset: Preset = Preset.BALANCED) -> Avatar:
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise ClientError("an avatar name has 1 to 64 characters", code="invalid_name")
    has_main = conn.execute(
        "SELECT 1 FROM avatars WHERE user_id = %s AND is_main", (user_id,)
    ).fetchone() is not None
    row = conn.execute(
        f"""INSERT INTO avatars (user_id, name, gender, training_type, preset, trigger_phrase, is_main)
            VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}""",
        (user_id, name, gender.value, training_type.value, preset.value, new_trigger_phrase(), not has_main),
    ).fetchone()
    return Avatar.from_row(row)


def get(conn: Connection, avatar_id: int, *, user_id: int | None = None, lock: bool = False) -> Avatar:
    row = rows.one(conn, "avatars", COLUMNS, "id", avatar_id, lock=lock)
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise NotFound(f"no avatar {avatar_id}", code="avatar_not_found")
    return Avatar.from_row(row)


def by_request_id(conn: Connection, fal_request_id: str, *, lock: bool = False) -> Avatar | None:
    row = rows.one(conn, "avatars", COLUMNS, "fal_request_id", fal_request_id, lock=lock)
    return Avatar.from_row(row) if row else None


def list_for_user(conn: Connection, user_id: int) -> list[Avatar]:
    found = conn.execute(f"SELECT {COLUMNS} FROM avatars WHERE user_id = %s ORDER BY id", (user_id,)).fetchall()
    return [Avatar.from_row(row) for row in found]


def transition(conn: Connection, avatar_id: int, target: AvatarStatus, **fields: Any) -> Avatar:
    """Move the avatar to `target` (IllegalTransition if the table forbids it), setting `fields`."""
    rows.settable("an avatar", fields, _SETTABLE)
    current = get(conn, avatar_id, lock=True)
    check_transition("avatar", AVATAR_TRANSITIONS, current.status, target)
    return Avatar.from_row(rows.update(conn, "avatars", COLUMNS, avatar_id, {"status": target.value, **fields},
                                       touch=True))


def set_main(conn: Connection, user_id: int, avatar_id: int) -> Avatar:
    get(conn, avatar_id, user_id=user_id, lock=True)
    conn.execute("UPDATE avatars SET is_main = false WHERE user_id = %s AND is_main", (user_id,))
    return Avatar.from_row(rows.update(conn, "avatars", COLUMNS, avatar_id, {"is_main": True}, touch=True))


def rename(conn: Connection, user_id: int, avatar_id: int, name: str) -> Avatar:
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise ClientError("an avatar name has 1 to 64 characters", code="invalid_name")
    get(conn, avatar_id, user_id=user_id, lock=True)
    return Avatar.from_row(rows.update(conn, "avatars", COLUMNS, avatar_id, {"name": name}, touch=True))


def delete(conn: Connection, user_id: int, avatar_id: int) -> list[str]:
    """Remove an avatar (not while it trains) and its photo rows; returns its known object keys (photos,
    LoRA, config) to delete after commit. Another avatar becomes the main one if this one was."""
    avatar = get(conn, avatar_id, user_id=user_id, lock=True)
    if avatar.status is AvatarStatus.TRAINING:
        raise Conflict("an avatar cannot be deleted while it trains", code="avatar_training")
    photo_rows = conn.execute("SELECT s3_key FROM avatar_photos WHERE avatar_id = %s", (avatar_id,)).fetchall()
    keys = [row["s3_key"] for row in photo_rows] + [k for k in (avatar.lora_key, avatar.config_key) if k]
    conn.execute("DELETE FROM avatars WHERE id = %s", (avatar_id,))  # photos cascade, generations keep NULL
    if avatar.is_main:
        conn.execute(
            """UPDATE avatars SET is_main = true, updated_at = now() WHERE id = (
                   SELECT id FROM avatars WHERE user_id = %s ORDER BY (status = 'completed') DESC, id DESC
                   LIMIT 1)""",
            (user_id,),
        )
    return keys
