"""The FAL stand-in writes prompts with a font that draws Cyrillic, found in the usual font folders."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import ImageFont

from sandbox.fal import fonts
from sandbox.fal.images import draw_image

NEEDS = "a font with Cyrillic (Debian: apt-get install fonts-dejavu-core; .ci/run installs it)"


@pytest.fixture
def installed() -> Path:
    path = fonts.find_font_file(fonts.font_dirs())
    assert path is not None, f"no {NEEDS}"
    return path


@pytest.fixture
def fresh_choice() -> Iterator[None]:
    fonts._font_file.cache_clear()
    yield
    fonts._font_file.cache_clear()


def test_the_font_found_draws_cyrillic_and_pillows_own_does_not(installed: Path) -> None:
    assert fonts.draws(ImageFont.FreeTypeFont(str(installed), 24))
    assert not fonts.draws(ImageFont.load_default(size=24))  # the boxes a Russian prompt showed before
    assert fonts.draws(ImageFont.load_default(size=24), "Ab")  # the check itself sees Latin in both


def test_cyrillic_prompts_render_their_own_glyphs(installed: Path, fresh_choice: None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # two prompts of the same length and seed: with real glyphs the pictures differ, with boxes they would not
    first, second = draw_image("Кот на луне", 7, 0, 512, 512), draw_image("Пёс на реке", 7, 0, 512, 512)
    assert first != second
    monkeypatch.setattr(fonts, "_font_file", lambda: None)  # no font installed: Pillow's own, all boxes
    assert draw_image("Кот на луне", 7, 0, 512, 512) == draw_image("Пёс на реке", 7, 0, 512, 512)


def test_the_preferred_font_is_taken_and_broken_files_are_passed_over(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "DejaVuSans.ttf").write_bytes(b"not a font at all")
    assert fonts.find_font_file([tmp_path]) is None
    shutil.copy(installed, tmp_path / "a" / "Other.ttf")
    assert fonts.find_font_file([tmp_path], names=("DejaVuSans.ttf", "Other.ttf")) == tmp_path / "a" / "Other.ttf"
    assert fonts.find_font_file([tmp_path / "missing"]) is None


def test_the_font_folders_follow_xdg_and_the_platform(tmp_path: Path) -> None:
    linux = fonts.font_dirs({"HOME": str(tmp_path), "XDG_DATA_DIRS": "/opt/share:/usr/share"}, "linux")
    assert linux == [tmp_path / ".local/share/fonts", tmp_path / ".fonts", Path("/opt/share/fonts"),
                     Path("/usr/share/fonts")]
    assert Path("/usr/share/fonts") in fonts.font_dirs({"HOME": str(tmp_path)}, "linux")
    assert Path("/Library/Fonts") in fonts.font_dirs({"HOME": str(tmp_path)}, "darwin")


def test_without_a_font_pillows_own_is_used_with_a_warning(fresh_choice: None, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(fonts, "font_dirs", lambda: [])
    with caplog.at_level(logging.WARNING, logger="sandbox.fal.fonts"):
        font = fonts.prompt_font(20)
    assert not fonts.draws(font) and fonts.draws(font, "Ab")
    assert "fonts-dejavu-core" in caplog.text
