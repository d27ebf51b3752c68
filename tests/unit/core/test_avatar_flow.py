"""Pure pieces of the avatar flow: the live counter, the refusal reasons, which files may be images."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, cast

import pytest
from aisha.bot.context import BotContext
from aisha.bot.flows.avatar.counter import counter_rows, counter_text
from aisha.bot.flows.avatar.upload import file_of, reason
from aisha.errors import PhotoRejected
from aisha.images import inspect_photo
from aisha.texts import text
from PIL import Image
from telegram import Chat, Document, Message, PhotoSize


class Speaker:
    def __init__(self, language: str) -> None:
        self.language = language

    def t(self, key: str, **values: Any) -> str:
        return text(self.language, key, **values)


def ctx(language: str = "en") -> BotContext:
    return cast(BotContext, Speaker(language))


def refusal(data: bytes) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        inspect_photo(data)
    return caught.value


def image(size: tuple[int, int], fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(("count", "expected", "review"), [
    (0, "Photos: 0 of 10–20.\nSend at least 10 more.", False),
    (9, "Photos: 9 of 10–20.\nSend at least 1 more.", False),
    (10, "Photos: 10 of 10–20.\nYou can go to the review or add up to 10 more.", True),
    (20, "Photos: 20 of 10–20.\nThat is the maximum. Go to the review.", True),
])
def test_the_counter_says_what_is_missing(count: int, expected: str, review: bool) -> None:
    assert counter_text(ctx(), count).endswith(expected)
    assert ("avatar:review:7" in [data for row in counter_rows(ctx(), count, 7) for _, data in row]) is review


def test_one_refusal_inline_several_listed() -> None:
    assert counter_text(ctx(), 3, ["a"]).endswith("Not accepted: a.")
    assert counter_text(ctx(), 3, ["a", "b"]).endswith("Not accepted (2):\n• a\n• b")


def test_each_refusal_reads_as_plain_words_in_both_languages() -> None:
    small = refusal(image((300, 400)))
    assert reason(ctx(), small) == "the picture is 300\u00d7400 px; the short side must be at least 512 px"
    assert reason(ctx("ru"), small).startswith("снимок 300\u00d7400 px")
    assert reason(ctx(), refusal(b"%PDF-1.4 not an image")) == "the file does not open as an image"
    assert reason(ctx(), refusal(image((600, 600), "GIF"))) == "this is not a JPEG, PNG or WebP image"
    assert reason(ctx(), refusal(b"\0" * (21 * 1024 * 1024))) == "the file is 21.0 MB; the limit is 20 MB"
    assert reason(ctx(), PhotoRejected("dup", code="photo_duplicate")) == "this photo is already in the set"
    assert reason(ctx(), PhotoRejected("full", code="photo_limit")) == "the set already has 20 photos, the maximum"


def _message(**fields: Any) -> Message:
    return Message(message_id=1, date=dt.datetime.now(dt.UTC), chat=Chat(id=1, type="private"), **fields)


def test_the_largest_photo_size_and_which_documents_may_be_images() -> None:
    sizes = [PhotoSize("small", "s", 90, 120, 900), PhotoSize("big", "b", 600, 800, 50000),
             PhotoSize("mid", "m", 240, 320, 9000)]
    assert file_of(_message(photo=sizes)) == ("big", 50000, True)
    for name, mime, expected in [("a.txt", "text/plain", False), ("a.PNG", None, True), (None, "image/webp", True),
                                 ("scan.pdf", "application/pdf", False)]:
        document = Document("id", "u", file_name=name, mime_type=mime, file_size=10)
        assert file_of(_message(document=document)) == ("id", 10, expected)
