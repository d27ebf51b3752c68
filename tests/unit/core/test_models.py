from __future__ import annotations

import datetime as dt

import pytest
from aisha.models import FalWebhook, GenerationOutput, LoraTrainingOutput, Preset, TelegramUpdate
from telegram import CallbackQuery, Chat, Message, Update, User


def test_fal_ok_training_payload() -> None:
    hook = FalWebhook.from_dict({
        "request_id": "req-1", "gateway_request_id": "req-1", "status": "OK",
        "payload": {"diffusers_lora_file": {"url": "https://fal.media/l.safetensors", "content_type":
                    "application/octet-stream", "file_name": "l.safetensors", "file_size": 123},
                    "config_file": {"url": "https://fal.media/c.json"}},
    })
    assert hook.succeeded
    output = LoraTrainingOutput.model_validate(hook.payload)
    assert output.diffusers_lora_file.file_size == 123 and output.config_file is not None


def test_fal_error_and_null_payload() -> None:
    failed = FalWebhook.from_dict({"request_id": "r", "status": "ERROR", "error": "Invalid status code: 422",
                                        "payload": {"detail": [{"msg": "bad"}]}})
    assert not failed.succeeded and failed.failure_reason == "Invalid status code: 422"
    unreadable = FalWebhook.from_dict({"request_id": "r", "status": "OK", "payload": None,
                                            "payload_error": "payload too large"})
    assert not unreadable.succeeded and unreadable.failure_reason == "payload too large"


@pytest.mark.parametrize(("body", "said"), [
    ({"status": "OK"}, "missing required field `request_id`"),
    ({"request_id": "r", "status": "COMPLETED", "payload": {}}, "Invalid enum value 'COMPLETED' - at `$.status`"),
    ({"request_id": "", "status": "OK"}, "Expected `str` of length >= 1 - at `$.request_id`"),
    ({"request_id": "r", "status": "OK", "payload": "not an object"}, "at `$.payload`"),
])
def test_fal_malformed_bodies_are_refused(body: dict[str, object], said: str) -> None:
    with pytest.raises(ValueError) as caught:
        FalWebhook.from_dict(body)
    assert said in str(caught.value)


def test_generation_output_nsfw_flags() -> None:
    output = GenerationOutput.model_validate({
        "images": [{"url": "https://x/1.jpg", "width": 1024, "height": 1024}, {"url": "https://x/2.jpg"}],
        "seed": 42, "has_nsfw_concepts": [False, True],
    })
    assert [output.nsfw(i) for i in range(2)] == [False, True]


def test_presets_have_their_steps() -> None:
    assert [p.steps for p in Preset] == [1000, 2500, 4000]


def test_telegram_update_envelope_from_ptb_objects() -> None:
    user = User(id=777, first_name="Ann", is_bot=False, language_code="ru")
    chat = Chat(id=777, type="private")
    message = Message(message_id=1, date=dt.datetime(2026, 11, 24, tzinfo=dt.UTC), chat=chat, from_user=user,
                      text="/start")
    update = TelegramUpdate.from_dict(Update(update_id=10, message=message).to_dict())
    assert (update.update_id, update.kind, update.chat_id) == (10, "message", 777)
    query = CallbackQuery(id="q1", from_user=user, chat_instance="ci", data="menu", message=message)
    update = TelegramUpdate.from_dict(Update(update_id=11, callback_query=query).to_dict())
    assert (update.kind, update.chat_id) == ("callback_query", 777)


def test_telegram_update_kinds_beyond_the_read_fields_are_named() -> None:
    update = TelegramUpdate.from_json(b'{"update_id": 12, "message": null, "my_chat_member": {"chat": {"id": 1}}}')
    assert (update.kind, update.chat_id) == ("my_chat_member", None)
    assert TelegramUpdate.from_json(b'{"update_id": 13, "poll": {"id": "p"}}').kind == "poll"
    assert TelegramUpdate.from_json(b'{"update_id": 14}').kind == "unknown"
    assert TelegramUpdate.from_json(b'{"update_id": 15, "kind": "message"}').kind == "kind"  # never read as a field


@pytest.mark.parametrize(("body", "said"), [
    (b"[1]", "Expected `object`, got `array`"),
    (b'{"update_id": -1}', "Expected `int` >= 0 - at `$.update_id`"),
    (b'{"update_id": true}', "Expected `int`, got `bool`"),
    (b'{"update_id": 1, "message": 5}', "at `$.message`"),
    (b"not json", "JSON is malformed"),
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
])
def test_telegram_update_bodies_that_are_not_updates_are_refused_with_what_is_wrong(body: bytes, said: str) -> None:
    with pytest.raises(ValueError) as caught:
        TelegramUpdate.from_json(body)
    assert said in str(caught.value)


def test_a_fal_webhook_nested_past_the_limit_is_refused_as_a_value_error() -> None:
    with pytest.raises(ValueError, match="nested too deeply"):
        deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
        FalWebhook.from_json(b'{"request_id": "r", "status": "OK", "payload": ' + deep + b"}")
    assert FalWebhook.from_json(b'{"request_id": "r", "status": "OK", "payload": {}, "new": 1}').succeeded
