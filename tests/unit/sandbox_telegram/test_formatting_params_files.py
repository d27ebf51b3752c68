"""Pure pieces of the Telegram stand-in: formatting, parameter decoding, photo sizes, configuration."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sandbox.telegram.config import SandboxConfig
from sandbox.telegram.errors import BotApiError, ConfigurationError
from sandbox.telegram.files import FileStore, NotAnImage, photo_variants
from sandbox.telegram.formatting import command_entities, format_text, parse_html, strip_markdown
from sandbox.telegram.params import Params


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_html_becomes_text_and_entities_in_utf16_units() -> None:
    text, entities = parse_html('😀 <b>bold <i>both</i></b> &amp; <a href="https://x.org">link</a>')
    assert text == "😀 bold both & link"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 9},
        {"type": "italic", "offset": 8, "length": 4},
        {"type": "text_link", "url": "https://x.org", "offset": 15, "length": 4},
    ]


def test_pre_with_language_and_unsupported_tags() -> None:
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert text == "x = 1" and entities == [{"type": "pre", "offset": 0, "language": "python", "length": 5}]
    with pytest.raises(BotApiError, match='Unsupported start tag "div"'):
        parse_html("<div>x</div>")
    with pytest.raises(BotApiError, match="can't parse entities"):
        parse_html("<b>open")


def test_commands_get_bot_command_entities_and_markdown_is_unescaped() -> None:
    assert command_entities("/start@aisha_bot now") == [{"type": "bot_command", "offset": 0, "length": 16}]
    assert command_entities("no command") == []
    assert strip_markdown(r"*Price:* 5\.0 \_coins\_") == "Price: 5.0 _coins_"
    assert format_text("plain", None) == ("plain", [])
    with pytest.raises(BotApiError):
        format_text("x", "Klingon")


def test_params_decode_ptb_strings_and_native_json() -> None:
    ptb = Params({"chat_id": "42", "disable_notification": "true", "reply_markup": '{"inline_keyboard": []}'})
    assert ptb.chat_id() == 42
    assert ptb.get_bool("disable_notification") is True
    assert ptb.get_json("reply_markup") == {"inline_keyboard": []}
    assert ptb.recorded()["reply_markup"] == {"inline_keyboard": []}
    native = Params({"chat_id": 42, "reply_markup": {"inline_keyboard": []}, "ok": False})
    assert native.chat_id() == 42 and native.get_bool("ok") is False
    with pytest.raises(BotApiError, match="chat_id is empty") as missing:
        Params({}).chat_id()
    assert missing.value.error_code == 400
    with pytest.raises(BotApiError, match="must be of type Integer"):
        Params({"chat_id": "abc"}).chat_id()
    with pytest.raises(BotApiError, match="can't parse media JSON object"):
        Params({"media": "[{"}).get_json("media")


def test_photo_sizes_grow_to_the_original_and_each_size_is_a_file() -> None:
    assert [(w, h) for _, w, h in photo_variants(png(1000, 500))] == [(90, 45), (320, 160), (800, 400), (1000, 500)]
    assert [(w, h) for _, w, h in photo_variants(png(3000, 1500))][-1] == (2560, 1280)
    store = FileStore()
    sizes = store.add_photo(png(400, 300))
    assert [s["width"] for s in sizes] == [90, 320, 400]
    assert len({s["file_id"] for s in sizes}) == 3
    stored = store.get(sizes[-1]["file_id"])
    assert stored is not None and stored.photo_group == sizes and stored.file_path.startswith("photos/")
    assert store.by_path(stored.file_path) is stored
    with pytest.raises(NotAnImage):
        store.add_photo(b"not an image")


def test_documents_keep_name_and_type_and_images_get_a_thumbnail() -> None:
    store = FileStore()
    doc = store.add_document(png(1200, 900), "face.png", None)
    assert doc["mime_type"] == "image/png" and doc["file_name"] == "face.png"
    assert doc["thumbnail"]["width"] == 320
    pdf = store.add_document(b"%PDF-1.4", "terms.pdf", "application/pdf")
    assert "thumbnail" not in pdf and store.get(pdf["file_id"]).file_path.endswith(".pdf")  # type: ignore[union-attr]


def test_config_checks_the_token_and_scales_time() -> None:
    config = SandboxConfig(token="123456:ABCDEFGHIJKLMNOP", time_scale=0.01)
    assert config.bot_id == 123456
    assert config.retry_delay(1) == pytest.approx(0.01)
    assert config.retry_delay(99) == pytest.approx(0.6)
    with pytest.raises(ConfigurationError):
        SandboxConfig(token="not-a-token")
    with pytest.raises(ConfigurationError, match="loopback"):
        SandboxConfig(host="0.0.0.0")
    assert SandboxConfig(host="::1").host == "::1"
    assert SandboxConfig().token != SandboxConfig().token
