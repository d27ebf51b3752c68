"""Decoding a webhook body with msgspec, where every way a body can be wrong is a ValueError."""

from __future__ import annotations

from typing import Any

import msgspec


def decode(body: bytes, kind: Any = Any) -> Any:
    """`body` as `kind`; ValueError (msgspec's DecodeError and ValidationError are ValueErrors) if it is not
    JSON of that shape, or is nested past the interpreter's recursion limit, which msgspec refuses with a
    RecursionError."""
    try:
        return msgspec.json.decode(body, type=kind)
    except RecursionError:
        raise ValueError("the body is nested too deeply") from None
