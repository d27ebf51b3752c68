"""Generations: the status machine and their stored images."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from aisha.db import Connection
from aisha.errors import ClientError, Conflict, NotFound
from aisha.models import Generation, GenerationImage, GenerationStatus
from aisha.services import rows
from aisha.services.statemachine import GENERATION_TRANSITIONS, check_transition

COLUMNS = (
    "id, user_id, avatar_id, prompt, params, num_images, status, fal_request_id, fal_model, cost, charge_id, "
    "error, created_at, queued_at, finished_at"
)
_IMAGE_COLUMNS = "id, generation_id, position, s3_key, content_type, width, height, nsfw"
_SETTABLE = {"fal_request_id", "fal_model", "charge_id", "error", "queued_at", "finished_at"}
MAX_PROMPT = 2000


def create(conn: Connection, user_id: int, prompt: str, *, num_images: int, cost: int,
           avatar_id: int | None = None, params: dict[str, Any] | None = None) -> Generation:
    prompt = prompt.strip()
    if not 1 <= len(prompt) <= MAX_PROMPT:
        raise ClientError(f"a prompt has 1 to {MAX_PROMPT} characters", code="invalid_prompt")
    if not 1 <= num_images <= 4:
        raise ClientError("1 to 4 images per generation", code="invalid_count")
    row = conn.execute(
        f"""INSERT INTO generations (user_id, avatar_id, prompt, params, num_images, cost)
            VALUES (%s, %s, %s, %s, %s, %s) RETURNING {COLUMNS}""",
        (user_id, avatar_id, prompt, Jsonb(params or {}), num_images, cost),
    ).fetchone()
    return Generation.from_row(row)


def get(conn: Connection, generation_id: int, *, user_id: int | None = None, lock: bool = False) -> Generation:
    row = rows.one(conn, "generations", COLUMNS, "id", generation_id, lock=lock)
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise NotFound(f"no generation {generation_id}", code="generation_not_found")
    return Generation.from_row(row)


def by_request_id(conn: Connection, fal_request_id: str, *, lock: bool = False) -> Generation | None:
    row = rows.one(conn, "generations", COLUMNS, "fal_request_id", fal_request_id, lock=lock)
    return Generation.from_row(row) if row else None


def transition(conn: Connection, generation_id: int, target: GenerationStatus, **fields: Any) -> Generation:
    rows.settable("a generation", fields, _SETTABLE)
    current = get(conn, generation_id, lock=True)
    check_transition("generation", GENERATION_TRANSITIONS, current.status, target)
    return Generation.from_row(rows.update(conn, "generations", COLUMNS, generation_id,
                                                 {"status": target.value, **fields}))


def add_image(conn: Connection, generation_id: int, position: int, s3_key: str, content_type: str, *,
              width: int | None = None, height: int | None = None, nsfw: bool = False) -> GenerationImage:
    """Record one stored image; recording the same position again keeps the first."""
    conn.execute(
        """INSERT INTO generation_images (generation_id, position, s3_key, content_type, width, height, nsfw)
           VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (generation_id, position) DO NOTHING""",
        (generation_id, position, s3_key, content_type, width, height, nsfw),
    )
    row = conn.execute(
        f"SELECT {_IMAGE_COLUMNS} FROM generation_images WHERE generation_id = %s AND position = %s",
        (generation_id, position),
    ).fetchone()
    return GenerationImage.from_row(row)


def images(conn: Connection, generation_id: int) -> list[GenerationImage]:
    found = conn.execute(
        f"SELECT {_IMAGE_COLUMNS} FROM generation_images WHERE generation_id = %s ORDER BY position",
        (generation_id,),
    ).fetchall()
    return [GenerationImage.from_row(row) for row in found]


def list_for_user(conn: Connection, user_id: int, *, limit: int = 10, offset: int = 0) -> list[Generation]:
    found = conn.execute(
        f"SELECT {COLUMNS} FROM generations WHERE user_id = %s ORDER BY id DESC LIMIT %s OFFSET %s",
        (user_id, limit, offset),
    ).fetchall()
    return [Generation.from_row(row) for row in found]


def delete(conn: Connection, user_id: int, generation_id: int) -> list[str]:
    """Remove a finished generation and its image rows; returns the image keys to delete after commit."""
    generation = get(conn, generation_id, user_id=user_id, lock=True)
    if generation.status in (GenerationStatus.PENDING, GenerationStatus.QUEUED):
        raise Conflict("this generation is still running", code="generation_in_progress")
    keys = [image.s3_key for image in images(conn, generation_id)]
    conn.execute("DELETE FROM generations WHERE id = %s", (generation_id,))  # images cascade
    return keys


def count_for_user(conn: Connection, user_id: int) -> int:
    row = conn.execute("SELECT count(*) AS n FROM generations WHERE user_id = %s", (user_id,)).fetchone()
    return int(row["n"]) if row else 0
