"""The work a FAL delivery is about, training or generation, and the function that processes it.

The reconciler and the journal's replay both ask. It needs the database's rows only, so the operators'
journal CLI, which replays, does not load the FAL client, S3 and pydantic that reconciling needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from aisha.functions import FAL_PROCESS_GENERATION, FAL_PROCESS_TRAINING

if TYPE_CHECKING:
    from aisha.db import Connection

Kind = Literal["training", "generation"]
# where FAL reports trainings and generations: submissions gives them to FAL, the webhook functions serve them
PORTRAIT_WEBHOOK = "/webhook/fal/portrait"
STATUS_WEBHOOK = "/webhook/fal/status"


def kind_of(conn: Connection, delivery_key: str, endpoint: str) -> Kind:
    """By the delivery's request id (an avatar's training or a generation was submitted with it), else
    by the endpoint it came to."""
    request_id = delivery_key.split("#", 1)[0]
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM avatars WHERE fal_request_id = %s) AS training, "
                       "EXISTS (SELECT 1 FROM generations WHERE fal_request_id = %s) AS generation",
                       (request_id, request_id)).fetchone()
    if row and row["training"]:
        return "training"
    if row and row["generation"]:
        return "generation"
    return "training" if endpoint == PORTRAIT_WEBHOOK else "generation"


def processor(kind: str) -> str:
    """The function that processes a delivery of this kind (`training` or `generation`)."""
    return FAL_PROCESS_TRAINING if kind == "training" else FAL_PROCESS_GENERATION
