"""Files the stand-in knows: what users upload and what the bot sends, addressable by file_id and path.

Photos become Telegram's list of ``PhotoSize`` (JPEG copies no longer than 90, 320, 800, 1280 and 2560
pixels, then the original size), each size its own file. Pillow is needed only here.
"""

from __future__ import annotations

import io
import mimetypes
import secrets
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

_PHOTO_LIMITS = (90, 320, 800, 1280, 2560)
_THUMB_LIMIT = 320
# Bilinear, not Pillow's default bicubic, for the smaller copies: no one judges a stand-in's thumbnails, and
# the tests send and receive photos by the hundred (768x1024 to 600x800: 7.6 ms against 12.6 ms).
_SCALING = Image.Resampling.BILINEAR
Variants = list[tuple[bytes, int, int]]  # (JPEG bytes, width, height), smallest first


class NotAnImage(ValueError):
    """The bytes given as a photo are not an image Pillow can read."""


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    origin: str = "user"
    photo_group: list[dict[str, Any]] | None = field(default=None, repr=False)
    document: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def file_size(self) -> int:
        return len(self.data)

    def photo_size(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "width": self.width,
                "height": self.height, "file_size": self.file_size}

    def info(self) -> dict[str, Any]:
        """The file's description for the admin API (no bytes)."""
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_path": self.file_path,
                "file_size": self.file_size, "mime_type": self.mime_type, "file_name": self.file_name,
                "width": self.width, "height": self.height, "origin": self.origin}


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=87)
    return out.getvalue()


def _open_rgb(data: bytes, draft: int | None = None) -> Image.Image:
    try:
        opened = Image.open(io.BytesIO(data))
        if draft is not None:  # JPEG: decode at a reduced scale, enough for a thumbnail
            opened.draft("RGB", (draft, draft))
        opened.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise NotAnImage(str(exc)) from exc
    return ImageOps.exif_transpose(opened).convert("RGB")


def photo_variants(data: bytes) -> Variants:
    """JPEG copies of an image the way Telegram stores a photo: growing sizes, the last one the largest.
    Each size is scaled from the next larger one rather than from the original, which scales far fewer
    pixels: tests send photos by the hundred."""
    image = _open_rgb(data)
    longest = max(image.size)
    largest_first = [image] if longest <= _PHOTO_LIMITS[-1] else []
    source = image
    for limit in reversed([limit for limit in _PHOTO_LIMITS if limit < longest]):
        source = source.copy()
        source.thumbnail((limit, limit), _SCALING)
        largest_first.append(source)
    return [(_jpeg(copy), copy.width, copy.height) for copy in reversed(largest_first)]


def image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None


class FileStore:
    """All files of one instance, in memory."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def clear(self) -> None:
        self._by_id.clear()
        self._by_path.clear()

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def all(self) -> list[StoredFile]:
        return list(self._by_id.values())

    def _add(self, kind: str, prefix: str, data: bytes, mime_type: str, ext: str, **extra: Any) -> StoredFile:
        self._counter += 1
        stored = StoredFile(file_id=prefix + secrets.token_urlsafe(40),
                            file_unique_id="AQAD" + secrets.token_urlsafe(9),
                            file_path=f"{kind}/file_{self._counter}{ext}", data=data, mime_type=mime_type, **extra)
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def add_photo(self, data: bytes, origin: str = "user") -> list[dict[str, Any]]:
        """Store an image as a photo; returns its ``PhotoSize`` list. Raises ``NotAnImage``."""
        return self.store_photo(photo_variants(data), origin)

    def store_photo(self, variants: Variants, origin: str = "user") -> list[dict[str, Any]]:
        """Store the ``photo_variants`` of an image (computed off the event loop: 0.6 s for 12 MP)."""
        sizes: list[dict[str, Any]] = []
        members: list[StoredFile] = []
        for jpeg, width, height in variants:
            stored = self._add("photos", "AgACAgIAAxkBAAI", jpeg, "image/jpeg", ".jpg", width=width, height=height,
                               origin=origin)
            members.append(stored)
            sizes.append(stored.photo_size())
        for stored in members:
            stored.photo_group = sizes
        return sizes

    def add_document(self, data: bytes, file_name: str | None, mime_type: str | None,
                     origin: str = "user") -> dict[str, Any]:
        """Store any file as a document; returns its ``Document`` (with a thumbnail for images)."""
        guessed = mime_type or (mimetypes.guess_type(file_name)[0] if file_name else None)
        mime = guessed or "application/octet-stream"
        ext = "." + file_name.rsplit(".", 1)[1].lower() if file_name and "." in file_name else ""
        stored = self._add("documents", "BQACAgIAAxkBAAI", data, mime, ext, file_name=file_name, origin=origin)
        document: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                    "file_size": stored.file_size, "mime_type": mime}
        if file_name:
            document["file_name"] = file_name
        stored.document = document
        if mime.startswith("image/"):
            try:
                image = _open_rgb(data, draft=_THUMB_LIMIT)
            except NotAnImage:
                return document
            image.thumbnail((_THUMB_LIMIT, _THUMB_LIMIT), _SCALING)
            thumb = self._add("thumbnails", "AAMCAgADGQEAAg", _jpeg(image), "image/jpeg", ".jpg",
                              width=image.width, height=image.height, origin=origin)
            document["thumbnail"] = thumb.photo_size()
        return document
