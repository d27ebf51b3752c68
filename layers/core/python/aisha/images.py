"""Checks a photo before it is stored: type, size and dimensions, read by Pillow."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from aisha.errors import PhotoRejected

MAX_PHOTO_BYTES = 20 * 1024 * 1024  # Telegram's bot download limit, and ours
MIN_SHORT_SIDE = 512
_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class PhotoInfo:
    content_type: str
    width: int
    height: int
    size_bytes: int


def inspect_photo(data: bytes) -> PhotoInfo:
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected(
            f"the photo is {len(data) / 1048576:.1f} MB; the limit is 20 MB", code="photo_too_large",
            details={"size_bytes": len(data), "limit_bytes": MAX_PHOTO_BYTES},
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, ValueError):
        raise PhotoRejected("this file is not a readable image", code="photo_unreadable") from None
    content_type = _FORMATS.get(fmt or "")
    if content_type is None:
        raise PhotoRejected(f"{fmt} images are not accepted: send JPEG, PNG or WebP", code="photo_type",
                            details={"format": fmt})
    if min(width, height) < MIN_SHORT_SIDE:
        raise PhotoRejected(
            f"the photo is {width}x{height}; the short side must be at least {MIN_SHORT_SIDE} px",
            code="photo_too_small", details={"width": width, "height": height},
        )
    return PhotoInfo(content_type, width, height, len(data))
