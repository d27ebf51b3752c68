"""Generated pictures drawn locally: a seed-coloured JPEG or PNG of the requested size that shows prompt and seed."""

from __future__ import annotations

import io
import random
import textwrap
from typing import Any

from PIL import Image, ImageDraw

from sandbox.fal.errors import QueueError
from sandbox.fal.fonts import prompt_font

# FAL's image_size presets (width, height).
IMAGE_SIZES: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
DEFAULT_IMAGE_SIZE = "landscape_4_3"
# FAL's output_format values, jpeg by default: each one's content type and file suffix
OUTPUT_FORMATS = {"jpeg": ("image/jpeg", "jpg"), "png": ("image/png", "png")}
DEFAULT_OUTPUT_FORMAT = "jpeg"
MAX_SIDE = 14142


def resolve_size(image_size: Any) -> tuple[int, int]:
    """A preset name or `{"width", "height"}` -> (width, height); FAL's 422 for anything else."""
    if image_size is None:
        return IMAGE_SIZES[DEFAULT_IMAGE_SIZE]
    if isinstance(image_size, str) and image_size in IMAGE_SIZES:
        return IMAGE_SIZES[image_size]
    if isinstance(image_size, dict):
        width, height = image_size.get("width"), image_size.get("height")
        if isinstance(width, int) and isinstance(height, int) and 0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE:
            return width, height
    raise validation_error("image_size", f"invalid image_size {image_size!r}", image_size)


def validation_error(field: str, message: str, value: Any) -> QueueError:
    """FAL's shape for a rejected input: 422 with a pydantic-like `detail` list."""
    detail = [{"loc": ["body", field], "msg": message, "type": "value_error", "input": value}]
    return QueueError(message, status=422, body={"detail": detail})


def resolve_format(output_format: Any) -> str:
    """FAL's output_format: "jpeg" (its default) or "png"; FAL's 422 for anything else."""
    if output_format is None:
        return DEFAULT_OUTPUT_FORMAT
    if isinstance(output_format, str) and output_format in OUTPUT_FORMATS:
        return output_format
    raise validation_error("output_format", f"invalid output_format {output_format!r}", output_format)


def draw_image(prompt: str, seed: int, index: int, width: int, height: int, output_format: str = "jpeg") -> bytes:
    """The picture FAL would have made: seeded shapes, and the prompt and seed written at the bottom."""
    rng = random.Random(f"{seed}:{index}")
    background = tuple(rng.randint(40, 200) for _ in range(3))
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randint(min(width, height) // 12, min(width, height) // 4)
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    size = max(12, min(width, height) // 24)
    font = prompt_font(size)  # one with Cyrillic, so Russian prompts are readable
    chars = max(10, int(width / (size * 0.6)) - 2)
    lines = [*textwrap.wrap(prompt or "(empty prompt)", chars)[:8], f"seed {seed} - image {index + 1}"]
    margin = size
    box_height = (len(lines) + 1) * int(size * 1.3)
    draw.rectangle((0, height - box_height - margin, width, height), fill=(0, 0, 0))
    y = height - box_height
    for line in lines:
        draw.text((margin, y), line, fill=(255, 255, 255), font=font)
        y += int(size * 1.3)
    out = io.BytesIO()
    if output_format == "png":
        image.save(out, format="PNG", optimize=False, compress_level=1)
    else:
        image.save(out, format="JPEG", quality=90)
    return out.getvalue()
