"""Conversation state in the real Redis: what an earlier release wrote still reads, anything else reads as none."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from aisha.bot.state import ChatState, Ending, clear_state, load_ending, load_state, save_state


@pytest.fixture
def client(services: dict[str, str]) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(services["REDIS_URL"])
    yield client
    client.close()


def _chat() -> int:
    return uuid.uuid4().int % 10**12


def test_a_state_round_trips_and_its_ending_replaces_it(client: redis.Redis) -> None:
    chat_id = _chat()
    state = ChatState(flow="gen", step="prompt", data={"avatar_id": 7, "styles": ["a", "b"]})
    save_state(client, chat_id, state, 60)
    assert load_state(client, chat_id) == state and load_ending(client, chat_id) is None
    clear_state(client, chat_id, Ending(reason="done", flow="gen"))
    assert load_state(client, chat_id) is None
    assert load_ending(client, chat_id) == Ending(reason="done", flow="gen")
    save_state(client, chat_id, state, 60)  # a new conversation forgets how the last one ended
    assert load_ending(client, chat_id) is None


def test_what_the_pydantic_release_wrote_still_reads(client: redis.Redis) -> None:
    chat_id = _chat()
    client.set(f"aisha:chat:{chat_id}:state", b'{"flow":"avatar","step":"photos","data":{"avatar_id":1}}', ex=60)
    client.set(f"aisha:chat:{chat_id}:ended", b'{"reason":"cancelled","flow":"avatar"}', ex=60)
    assert load_state(client, chat_id) == ChatState(flow="avatar", step="photos", data={"avatar_id": 1})
    assert load_ending(client, chat_id) == Ending(reason="cancelled", flow="avatar")


@pytest.mark.parametrize("raw", [b"not json", b'{"flow": "avatar"}', b"[]", b'{"flow": 1, "step": "x"}'])
def test_a_state_it_cannot_read_is_no_state(client: redis.Redis, raw: bytes) -> None:
    chat_id = _chat()
    client.set(f"aisha:chat:{chat_id}:state", raw, ex=60)
    client.set(f"aisha:chat:{chat_id}:ended", b'{"reason": "exploded", "flow": "x"}', ex=60)
    assert load_state(client, chat_id) is None and load_ending(client, chat_id) is None
