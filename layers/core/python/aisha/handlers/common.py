"""Small pieces the handlers share."""

from __future__ import annotations

from typing import Any


def request_id_of(context: Any) -> str:
    return str(getattr(context, "aws_request_id", "") or "")
