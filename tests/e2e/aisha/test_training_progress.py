"""Progress messages while an avatar trains: the scheduled avatar_progress function, through the runner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aisha.fal.client import FalGateway
from aisha.resources import Resources
from aisha.services import avatars
from aisha.texts import text

from tests.e2e.aisha.bot_kit import invoke, make_avatar, new_user

TRAINER = "fal-ai/flux-lora-portrait-trainer"


def _training(stack: Any, res: Resources, user_id: int, minutes_ago: int) -> int:
    """An avatar whose training FAL really holds (slow stand-in), submitted `minutes_ago`."""
    fal = FalGateway(stack.env["FAL_KEY"])
    request_id = fal.submit(TRAINER, {"images_data_url": "https://example.invalid/photos.zip",
                                      "trigger_phrase": "aishatest", "steps": 2500},
                            webhook_url="http://127.0.0.1:9/unused")
    avatar = make_avatar(res, user_id, "Mila", completed=False)
    with res.db.transaction() as conn:
        conn.execute("UPDATE avatars SET status = 'training', fal_request_id = %s, fal_model = %s, "
                     "training_started_at = %s WHERE id = %s",
                     (request_id, TRAINER, datetime.now(UTC) - timedelta(minutes=minutes_ago), avatar.id))
    return avatar.id


def _started(res: Resources, avatar_id: int, seconds: float) -> None:
    """Training began `seconds` ago, set just before the invocation that reads it. A percent of a balanced
    training (usually 18 minutes) is 10.8 s: the tests aim at the middle of one, so a slow machine between
    setting it and the progress function reading it does not tip the figure into the next."""
    with res.db.transaction() as conn:
        conn.execute("UPDATE avatars SET training_started_at = now() - make_interval(secs => %s) WHERE id = %s",
                     (seconds, avatar_id))


def _progress_messages(stack: Any, chat_id: int) -> list[str]:
    return [m["message"]["text"] for m in stack.chat.messages(chat_id, direction="out")
            if "обучается" in m["message"].get("text", "") or "очереди" in m["message"].get("text", "")]


def test_a_training_gets_one_message_edited_as_it_advances(stack: Any, res: Resources) -> None:
    stack.fal.configure(queue_delay=0.0, processing_delay=600.0)
    try:
        user_id = new_user(stack, res)
        avatar_id = _training(stack, res, user_id, minutes_ago=9)  # balanced: usually 18 minutes
        _started(res, avatar_id, 545)  # 50.5 %
        first = invoke(stack, "avatar_progress")
        assert first["training"] >= 1
        texts = _progress_messages(stack, user_id)
        assert len(texts) == 1 and "50%" in texts[0] and "Mila" in texts[0]
        with res.db.transaction() as conn:
            assert avatars.get(conn, avatar_id).progress == 50

        invoke(stack, "avatar_progress")  # nothing new: no new message, no edit
        edits_before = len(stack.chat.calls("editMessageText", chat_id=user_id))
        _started(res, avatar_id, 837)  # about five minutes on: 77.5 %
        invoke(stack, "avatar_progress")
        texts = _progress_messages(stack, user_id)
        assert len(texts) == 1 and "77%" in texts[0]  # the same message, edited
        assert len(stack.chat.calls("editMessageText", chat_id=user_id)) == edits_before + 1
        assert len(stack.chat.calls("sendMessage", chat_id=user_id)) == 3  # welcome, menu, one progress message
    finally:
        stack.fal.configure(queue_delay=0.2, processing_delay=0.3)


def test_a_queued_training_shows_its_place_and_a_fresh_one_stays_quiet(stack: Any, res: Resources) -> None:
    stack.fal.configure(queue_delay=600.0)
    try:
        waiting = new_user(stack, res)
        _training(stack, res, waiting, minutes_ago=3)
        fresh = new_user(stack, res)
        _training(stack, res, fresh, minutes_ago=0)
        invoke(stack, "avatar_progress")
        texts = _progress_messages(stack, waiting)
        assert len(texts) == 1 and "позиция" in texts[0]
        assert _progress_messages(stack, fresh) == []
    finally:
        stack.fal.configure(queue_delay=0.2)


def test_when_training_ends_its_progress_message_says_so(stack: Any, res: Resources) -> None:
    stack.fal.configure(queue_delay=0.0, processing_delay=600.0)
    try:
        user_id = new_user(stack, res)
        stopped = _training(stack, res, user_id, minutes_ago=17)  # about 94 %: the message nearly full
        done_user = new_user(stack, res)
        done = _training(stack, res, done_user, minutes_ago=17)
        invoke(stack, "avatar_progress")
        assert len(_progress_messages(stack, user_id)) == len(_progress_messages(stack, done_user)) == 1
        with res.db.transaction() as conn:  # what processing does when the work fails for good / completes
            conn.execute("UPDATE avatars SET status = 'error', finished_at = now() WHERE id = %s", (stopped,))
            conn.execute("UPDATE avatars SET status = 'completed', progress = 100, lora_key = 'k', finished_at = now() "
                         "WHERE id = %s",
                         (done,))
        assert invoke(stack, "avatar_progress")["finished"] >= 2
        edits = len(stack.chat.calls("editMessageText", chat_id=user_id))
        assert invoke(stack, "avatar_progress")["finished"] == 0  # finished once
        assert len(stack.chat.calls("editMessageText", chat_id=user_id)) == edits
    finally:
        stack.fal.configure(queue_delay=0.2, processing_delay=0.3)
    texts = [m["message"].get("text") for m in stack.chat.messages(user_id, direction="out")]
    assert texts[-1] == text("ru", "progress_stopped", name="Mila") and _progress_messages(stack, user_id) == []
    texts = [m["message"].get("text") for m in stack.chat.messages(done_user, direction="out")]
    assert texts[-1] == text("ru", "progress_done", name="Mila")
