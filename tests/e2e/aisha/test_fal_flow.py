"""FAL through the runner: our real submit -> the FAL stand-in -> its signed webhook -> our webhook
function -> journal -> Event -> processing function -> bucket, database, Telegram stand-in."""

from __future__ import annotations

import random
from typing import Any

import pytest
from aisha.db import Database
from aisha.fal.client import FalGateway
from aisha.models import AvatarStatus, Gender, GenerationStatus, LedgerKind, TrainingType
from aisha.resources import Resources
from aisha.services import avatars, generations, ledger, photos, submissions, users

from tests.e2e.aisha.bot_kit import bot_messages, photo, wait_for


@pytest.fixture(scope="module")
def fal(stack: Any) -> FalGateway:
    return FalGateway(stack.env["FAL_KEY"])


def new_user(db: Database, coins: int) -> int:
    user_id = random.randint(10**8, 10**9)
    with db.transaction() as conn:
        users.register(conn, user_id, first_name="Ann")
        if coins:
            ledger.credit(conn, user_id, coins, LedgerKind.TOPUP, reason="test")
    return user_id


def ready_avatar(res: Resources, user_id: int) -> int:
    with res.db.transaction() as conn:
        avatar_id = avatars.create(conn, user_id, "Ann", Gender.FEMALE, TrainingType.PORTRAIT).id
    for i in range(10):
        with res.db.transaction() as conn:
            photos.add_photo(conn, res.storage, res.settings.s3_bucket_photos, avatar_id, user_id,
                             photo(user_id % 1000 + i))
    with res.db.transaction() as conn:
        photos.mark_ready(conn, avatar_id, user_id)
    return avatar_id


def test_training_from_submit_to_the_users_message(stack: Any, res: Resources, fal: FalGateway) -> None:
    user_id = new_user(res.db, 200)
    stack.chat.set_user(user_id, first_name="Ann")
    avatar_id = ready_avatar(res, user_id)
    avatar = submissions.start_training(res.db, res.storage, fal, res.settings, user_id=user_id, avatar_id=avatar_id)
    assert avatar.status is AvatarStatus.TRAINING and avatar.fal_request_id
    job = next(j for j in stack.fal.jobs() if j["request_id"] == avatar.fal_request_id)
    assert job["app_id"] == "fal-ai/flux-lora-portrait-trainer"
    assert job["arguments"]["trigger_phrase"] == avatar.trigger_phrase and job["arguments"]["steps"] == 2500
    # the photo archive's URL lives PRESIGN_TTL_SECONDS, as every presigned URL does
    assert f"X-Amz-Expires={res.settings.presign_ttl_seconds}&" in job["arguments"]["images_data_url"] + "&"

    def completed() -> Any:
        with res.db.transaction() as conn:
            current = avatars.get(conn, avatar_id)
        return current if current.status is AvatarStatus.COMPLETED else None

    done = wait_for(completed, what="the avatar to complete")
    assert res.storage.get(res.settings.s3_bucket_loras, done.lora_key)
    messages = wait_for(lambda: bot_messages(stack, user_id), what="the bot's message")
    assert len(messages) == 1 and "Ann" in messages[0]["text"]
    buttons = messages[0]["reply_markup"]["inline_keyboard"]
    assert buttons[0][0]["callback_data"] == f"generate:{avatar_id}"
    with res.db.transaction() as conn:
        assert ledger.balance(conn, user_id) == 50


def test_generation_of_two_images_arrives_as_an_album(stack: Any, res: Resources, fal: FalGateway) -> None:
    user_id = new_user(res.db, 20)
    stack.chat.set_user(user_id, first_name="Bo")
    generation = submissions.submit_generation(res.db, res.storage, fal, res.settings, user_id=user_id,
                                               prompt="a lighthouse at dusk", num_images=2, seed=42)
    assert generation.status is GenerationStatus.QUEUED and generation.cost == 10

    def completed() -> Any:
        with res.db.transaction() as conn:
            current = generations.get(conn, generation.id)
            return generations.images(conn, generation.id) if current.status is GenerationStatus.COMPLETED else None

    images = wait_for(completed, what="the generation to complete")
    assert len(images) == 2
    for image in images:
        assert res.storage.get(res.settings.s3_bucket_images, image.s3_key)[:3] == b"\xff\xd8\xff"  # JPEG
    album = stack.chat.calls("sendMediaGroup", chat_id=user_id, wait=10)
    assert len(album) == 1


def test_a_failed_training_is_refunded_and_explained(stack: Any, res: Resources, fal: FalGateway) -> None:
    user_id = new_user(res.db, 150)
    stack.chat.set_user(user_id, first_name="Cy")
    avatar_id = ready_avatar(res, user_id)

    def failed() -> Any:
        with res.db.transaction() as conn:
            return avatars.get(conn, avatar_id).status is AvatarStatus.ERROR

    stack.fal.configure(failure_rate=1.0)  # decided when the job ends
    try:
        submissions.start_training(res.db, res.storage, fal, res.settings, user_id=user_id, avatar_id=avatar_id)
        wait_for(failed, what="the avatar to fail")
    finally:
        stack.fal.configure(failure_rate=0.0)
    message = wait_for(lambda: bot_messages(stack, user_id), what="the apology")[0]
    assert "150" in message["text"]
    with res.db.transaction() as conn:
        assert ledger.balance(conn, user_id) == 150


def test_a_submit_that_fal_refuses_charges_nothing(stack: Any, res: Resources) -> None:
    user_id = new_user(res.db, 150)
    avatar_id = ready_avatar(res, user_id)
    wrong_key = FalGateway("not-the-key")
    from aisha.errors import FalError

    with pytest.raises(FalError) as caught:
        submissions.start_training(res.db, res.storage, wrong_key, res.settings, user_id=user_id, avatar_id=avatar_id)
    assert caught.value.code == "fal_unauthorized"
    with res.db.transaction() as conn:
        assert ledger.balance(conn, user_id) == 150
        assert avatars.get(conn, avatar_id).status is AvatarStatus.READY_FOR_TRAINING


def test_a_queued_training_can_be_cancelled_and_is_refunded(stack: Any, res: Resources, fal: FalGateway) -> None:
    user_id = new_user(res.db, 150)
    avatar_id = ready_avatar(res, user_id)
    stack.fal.configure(queue_delay=30.0)
    try:
        avatar = submissions.start_training(res.db, res.storage, fal, res.settings, user_id=user_id,
                                            avatar_id=avatar_id)
        cancelled = submissions.cancel_training(res.db, fal, user_id=user_id, avatar_id=avatar_id)
    finally:
        stack.fal.configure(queue_delay=0.2)
    assert cancelled.status is AvatarStatus.CANCELLED
    job = next(j for j in stack.fal.jobs() if j["request_id"] == avatar.fal_request_id)
    assert job["cancelled"] is True
    with res.db.transaction() as conn:
        assert ledger.balance(conn, user_id) == 150


def test_fal_status_and_result_through_fal_client(stack: Any, fal: FalGateway) -> None:
    request_id = fal.submit("fal-ai/flux-lora", {"prompt": "a red kite", "num_images": 1, "seed": 3},
                            webhook_url="http://127.0.0.1:9/unused")
    assert fal.status("fal-ai/flux-lora", request_id).state in {"IN_QUEUE", "IN_PROGRESS", "COMPLETED"}
    wait_for(lambda: fal.status("fal-ai/flux-lora", request_id).state == "COMPLETED", what="the job")
    result = fal.result("fal-ai/flux-lora", request_id)
    assert result["seed"] == 3 and len(result["images"]) == 1
    from aisha.errors import FalError

    with pytest.raises(FalError) as caught:
        fal.status("fal-ai/flux-lora", "no-such-request")
    assert caught.value.code == "fal_not_found" and not caught.value.retryable
