"""Object keys: every key starts with the owner's user id, so a user's data is one prefix."""

from __future__ import annotations

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


def extension_for(content_type: str) -> str:
    return _EXTENSIONS.get(content_type, "bin")


def photo_key(user_id: int, avatar_id: int, sha256: str, content_type: str) -> str:
    return f"{user_id}/avatars/{avatar_id}/photos/{sha256}.{extension_for(content_type)}"


def lora_key(user_id: int, avatar_id: int, file_name: str) -> str:
    return f"{user_id}/avatars/{avatar_id}/lora/{file_name}"


def image_key(user_id: int, generation_id: int, position: int, content_type: str) -> str:
    return f"{user_id}/generations/{generation_id}/{position}.{extension_for(content_type)}"
