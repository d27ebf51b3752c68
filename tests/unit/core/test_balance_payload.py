"""The Stars invoice payload of the balance flow: `topup:<user id>:<coins>:<nonce>`, and nothing else."""

from __future__ import annotations

import pytest
from aisha.bot.flows.balance.payments import Payload, parse_payload


def test_a_payload_round_trips_within_telegram_s_128_bytes() -> None:
    payload = Payload(user_id=123456789012, coins=1000, nonce="0123456789abcdef")
    encoded = payload.encode()
    assert encoded == "topup:123456789012:1000:0123456789abcdef" and len(encoded.encode()) <= 128
    assert parse_payload(encoded) == payload


@pytest.mark.parametrize("raw", ["", "topup", "topup:1:2", "topup:1:2:", "topup:x:2:n", "topup:1:-2:n",
                                 "gift:1:2:n", "topup:1:2:n:extra"])
def test_anything_else_is_not_a_payload(raw: str) -> None:
    assert parse_payload(raw) is None
