"""The gallery through the runner: avatars (set main, rename, continue a draft, delete with their objects)
and generated images (pages, view from the bucket, regenerate priced and confirmed, delete)."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from aisha.errors import Conflict
from aisha.fal.client import FalGateway
from aisha.models import GenerationStatus
from aisha.resources import Resources
from aisha.services import avatars, generations, submissions
from aisha.storage import Storage

from tests.e2e.aisha.bot_kit import (
    BOT_TIMEOUT,
    balance,
    buttons,
    make_avatar,
    message,
    new_user,
    press,
    wait_button,
    wait_for,
    wait_text,
)


def _main_of(res: Resources, user_id: int) -> list[str]:
    with res.db.transaction() as conn:
        return [a.name for a in avatars.list_for_user(conn, user_id) if a.is_main]


def test_avatars_listed_set_main_and_rename(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res)
    first = make_avatar(res, user_id, "Lena")
    second = make_avatar(res, user_id, "Beach")
    draft = make_avatar(res, user_id, "Draft", completed=False)
    stack.chat.send_text(user_id, "/avatars")
    listing = wait_text(stack, user_id, "Ваши аватары")
    assert "Lena — готов ⭐" in listing["text"] and "Beach — готов" in listing["text"]
    assert "Draft — черновик" in listing["text"]

    press(stack, user_id, f"gallery:avatar:{draft.id}")
    press(stack, user_id, f"avatar:continue:{draft.id}")  # handed to the avatar flow (bot_avatar)
    wait_text(stack, user_id, "Аватар «Draft» создан. Пришлите от 10 до 20")
    stack.chat.send_text(user_id, "/avatars")
    press(stack, user_id, f"gallery:avatar:{second.id}")
    press(stack, user_id, f"gallery:main:{second.id}")
    wait_text(stack, user_id, "«Beach» теперь основной")
    assert _main_of(res, user_id) == ["Beach"]

    press(stack, user_id, f"gallery:rename:{second.id}")
    asked = wait_text(stack, user_id, "новое имя")
    stack.chat.send_text(user_id, "x" * 65)
    wait_text(stack, user_id, "от 1 до 64", after=asked["message_id"])
    stack.chat.send_text(user_id, "Sea side")
    wait_text(stack, user_id, "переименован: «Sea side»")
    with res.db.transaction() as conn:
        assert avatars.get(conn, second.id).name == "Sea side"
        assert avatars.get(conn, first.id).name == "Lena"

    press(stack, user_id, f"generate:{second.id}")  # the card's shortcut into the generation flow
    assert "Sea side" in wait_text(stack, user_id, "Опишите изображение")["text"]


def test_deleting_an_avatar_removes_its_photos_and_lora_from_the_buckets(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res)
    avatar = make_avatar(res, user_id, "Gone", photo_count=2)
    training = make_avatar(res, user_id, "Busy", completed=False, status="training")
    s = res.settings
    storage = Storage(endpoint_url=stack.env["S3_ENDPOINT_URL"])
    prefix = f"{user_id}/avatars/{avatar.id}/"
    assert len(storage.list_keys(s.s3_bucket_photos, prefix)) == 2
    assert len(storage.list_keys(s.s3_bucket_loras, prefix)) == 1

    stack.chat.send_text(user_id, "/gallery")
    press(stack, user_id, f"gallery:avatar:{training.id}")
    card = wait_text(stack, user_id, "Аватар «Busy»")
    assert f"gallery:adel:{training.id}" not in buttons(card)  # a training avatar offers no delete
    with res.db.transaction() as conn, pytest.raises(Conflict):
        avatars.delete(conn, user_id, training.id)

    press(stack, user_id, "gallery:avatars:0")
    press(stack, user_id, f"gallery:avatar:{avatar.id}")
    press(stack, user_id, f"gallery:adel:{avatar.id}")
    wait_text(stack, user_id, "Удалить аватар «Gone»")
    press(stack, user_id, f"gallery:adel_ok:{avatar.id}")
    wait_text(stack, user_id, "Аватар «Gone» удалён")
    assert storage.list_keys(s.s3_bucket_photos, prefix) == []
    assert storage.list_keys(s.s3_bucket_loras, prefix) == []
    with res.db.transaction() as conn:
        assert [a.name for a in avatars.list_for_user(conn, user_id)] == ["Busy"]
        assert _main_of(res, user_id) == ["Busy"]  # the main one went: another took its place


def test_images_are_listed_five_a_page(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res)
    with res.db.transaction() as conn:
        for i in range(7):
            generations.create(conn, user_id, f"prompt number {i}", num_images=1, cost=0)
    stack.chat.send_text(user_id, "/images")
    first = wait_text(stack, user_id, "страница 1 из 2")
    assert "prompt number 6" in first["text"] and "prompt number 2" in first["text"]
    assert "prompt number 1" not in first["text"]
    assert len([b for b in buttons(first) if b.startswith("gallery:image:")]) == 5
    press(stack, user_id, "gallery:images:1")
    second = wait_text(stack, user_id, "страница 2 из 2")
    assert "prompt number 1" in second["text"] and "prompt number 0" in second["text"]
    assert "gallery:images:0" in buttons(second) and "gallery:images:2" not in buttons(second)


def _completed_generation(stack: Any, res: Resources, user_id: int, count: int) -> int:
    generation = submissions.submit_generation(res.db, res.storage, FalGateway(stack.env["FAL_KEY"]), res.settings,
                                               user_id=user_id, prompt="a lighthouse at dusk", num_images=count,
                                               image_size="landscape_4_3", seed=7)

    def done() -> bool:
        with res.db.transaction() as conn:
            return generations.get(conn, generation.id).status is GenerationStatus.COMPLETED

    wait_for(done, what="the generation to complete")
    return generation.id


def test_view_regenerate_and_delete_a_generation(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res, coins=100)
    generation_id = _completed_generation(stack, res, user_id, 2)
    albums = len(stack.chat.calls("sendMediaGroup", chat_id=user_id, wait=BOT_TIMEOUT))  # the delivery itself
    assert balance(res, user_id) == 90
    s = res.settings
    storage = Storage(endpoint_url=stack.env["S3_ENDPOINT_URL"])
    prefix = f"{user_id}/generations/{generation_id}/"
    assert len(storage.list_keys(s.s3_bucket_images, prefix)) == 2

    stack.chat.send_text(user_id, "/images")
    press(stack, user_id, f"gallery:image:{generation_id}")
    card = wait_text(stack, user_id, "Запрос: a lighthouse at dusk")
    wait_for(lambda: len(stack.chat.calls("sendMediaGroup", chat_id=user_id)) == albums + 1, what="the album")

    known = {j["request_id"] for j in stack.fal.jobs()}
    stack.chat.press(user_id, card["message_id"], data=f"gallery:regen:{generation_id}")
    assert "Стоимость: 10 монет" in wait_text(stack, user_id, "Проверьте заказ")["text"]
    press(stack, user_id, f"gallery:regen_ok:{generation_id}")
    wait_text(stack, user_id, "Они придут сюда")
    job = wait_for(lambda: next((j for j in stack.fal.jobs() if j["request_id"] not in known), None),
                   what="the regenerated job")
    assert job["arguments"]["image_size"] == "landscape_4_3" and job["arguments"]["num_images"] == 2
    assert job["arguments"]["seed"] == 7 and job["arguments"]["prompt"] == "a lighthouse at dusk"
    assert balance(res, user_id) == 80

    stack.chat.send_text(user_id, "/images")
    press(stack, user_id, f"gallery:image:{generation_id}")
    press(stack, user_id, f"gallery:gdel:{generation_id}")
    wait_text(stack, user_id, "Удалить эти изображения (2 шт.)")
    press(stack, user_id, f"gallery:gdel_ok:{generation_id}")
    wait_text(stack, user_id, "Изображения удалены")
    assert storage.list_keys(s.s3_bucket_images, prefix) == []
    with res.db.transaction() as conn:
        assert generation_id not in [g.id for g in generations.list_for_user(conn, user_id)]
        assert generations.images(conn, generation_id) == []


def test_a_running_generation_cannot_be_deleted(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res)
    with res.db.transaction() as conn:
        generation = generations.create(conn, user_id, "still running", num_images=1, cost=0)
        with pytest.raises(Conflict):
            generations.delete(conn, user_id, generation.id)


def test_a_regenerate_confirm_after_cancel_is_gone_and_without_its_state_is_expired(stack: Any,
                                                                                   res: Resources) -> None:
    user_id = new_user(stack, res, coins=50)
    generation_id = _completed_generation(stack, res, user_id, 1)
    jobs_before = len(stack.fal.jobs())
    for ending in ("cancel", "timeout"):
        stack.chat.send_text(user_id, "/images")
        press(stack, user_id, f"gallery:image:{generation_id}")
        press(stack, user_id, f"gallery:regen:{generation_id}")
        summary = wait_button(stack, user_id, f"gallery:regen_ok:{generation_id}")
        if ending == "cancel":  # the cancelled order loses its buttons
            stack.chat.send_text(user_id, "/cancel")
            wait_text(stack, user_id, "Действие отменено")
            assert buttons(message(stack, user_id, summary["message_id"])) == []
            continue
        redis.Redis.from_url(stack.env["REDIS_URL"]).delete(f"aisha:chat:{user_id}:state")  # the TTL ran out
        stack.chat.press(user_id, summary["message_id"], data=f"gallery:regen_ok:{generation_id}")
        wait_text(stack, user_id, "Сессия истекла", after=summary["message_id"])
    assert len(stack.fal.jobs()) == jobs_before and balance(res, user_id) == 45


def test_avatars_are_listed_five_a_page(stack: Any, res: Resources) -> None:
    user_id = new_user(stack, res, language="en")
    for i in range(6):
        make_avatar(res, user_id, f"Avatar {i}", completed=False)
    stack.chat.send_text(user_id, "/gallery")
    first = wait_text(stack, user_id, "Your avatars (page 1 of 2)")
    assert "Avatar 4 — draft" in first["text"] and "Avatar 5" not in first["text"]
    press(stack, user_id, "gallery:avatars:1")
    second = wait_text(stack, user_id, "Your avatars (page 2 of 2)")
    assert "6. Avatar 5 — draft" in second["text"] and "gallery:avatars:0" in buttons(second)
