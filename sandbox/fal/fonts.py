"""The font the stand-in writes prompts with: one that has Cyrillic (Russian users write Russian prompts).

Pillow's built-in font has Latin only, so a Cyrillic prompt would come out as empty boxes. The first of
the usual sans fonts found in the system's and the user's font folders that really draws Cyrillic is
used (Debian: `apt-get install fonts-dejavu-core`); without one, Pillow's built-in font, with a warning
that names the package.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger("sandbox.fal.fonts")
# preferred first: broad coverage (Latin, Cyrillic, Greek), then what other systems ship
FONT_FILES = ("DejaVuSans.ttf", "NotoSans-Regular.ttf", "LiberationSans-Regular.ttf", "FreeSans.ttf",
              "Arial.ttf", "arial.ttf")
COVERAGE_SAMPLE = "ЖЯжя"  # letters a Cyrillic font must draw
_NO_GLYPH = "\U0010fffd"  # a private-use code point no font has: what a missing glyph looks like
FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font_dirs(environ: dict[str, str] | None = None, platform: str = sys.platform) -> list[Path]:
    """Where fonts are installed: the XDG data dirs and the user's folders, or macOS' and Windows' own."""
    env = dict(os.environ) if environ is None else environ
    home = Path(env.get("HOME", "~")).expanduser()
    if platform == "darwin":
        return [home / "Library/Fonts", Path("/Library/Fonts"), Path("/System/Library/Fonts")]
    if platform.startswith("win"):
        return [Path(env.get("WINDIR", "C:\\Windows")) / "Fonts"]
    data_home = Path(env.get("XDG_DATA_HOME") or home / ".local/share")
    data_dirs = [Path(d) for d in (env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":") if d]
    return [data_home / "fonts", home / ".fonts", *(d / "fonts" for d in data_dirs)]


def _glyph(font: FontType, char: str) -> bytes:
    canvas = Image.new("L", (64, 64))
    ImageDraw.Draw(canvas).text((8, 8), char, fill=255, font=font)
    return canvas.tobytes()


def draws(font: FontType, sample: str = COVERAGE_SAMPLE) -> bool:
    """True when every letter of `sample` has its own glyph (not the font's missing-glyph box)."""
    missing = _glyph(font, _NO_GLYPH)
    return all(_glyph(font, char) != missing for char in sample)


def find_font_file(dirs: Iterable[Path], names: Sequence[str] = FONT_FILES) -> Path | None:
    """The first font of `names` (in that order) under `dirs` that draws Cyrillic."""
    found: dict[str, list[Path]] = {}
    for folder in dirs:
        if folder.is_dir():
            for path in sorted(folder.rglob("*.tt[fc]")):
                found.setdefault(path.name, []).append(path)
    for name in names:
        for path in found.get(name, []):
            try:
                if draws(_open(path, 16)):
                    return path
            except OSError:  # unreadable or not a font after all
                continue
    return None


def _open(path: Path, size: int) -> ImageFont.FreeTypeFont:
    # FreeTypeFont itself: ImageFont.truetype would quietly load a system font of the same file name instead
    # of a broken file
    return ImageFont.FreeTypeFont(str(path), size)


@cache
def _font_file() -> Path | None:
    path = find_font_file(font_dirs())
    if path is None:
        log.warning("no font with Cyrillic found in %s: prompts in Russian show as boxes "
                    "(Debian: apt-get install fonts-dejavu-core)", ", ".join(map(str, font_dirs())))
    return path


def prompt_font(size: int) -> FontType:
    """The font for a prompt of any language at `size` px (Pillow's own when no better one is installed)."""
    path = _font_file()
    if path is not None:
        return _open(path, size)
    return ImageFont.load_default(size=size)
