"""refundStarPayment through the Bot API (TELEGRAM_API_BASE_URL, so the local stand-in works too)."""

from __future__ import annotations

import httpx
from aisha.errors import UpstreamError

ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"


class RefundFailed(UpstreamError):
    code = "telegram_refund_failed"


def refund_star_payment(base_url: str, token: str, user_id: int, charge_id: str, *, timeout: float = 20.0) -> bool:
    """True when Telegram refunded now, False when it had already been refunded; raises otherwise."""
    try:
        answer = httpx.post(f"{base_url}{token}/refundStarPayment",
                            json={"user_id": user_id, "telegram_payment_charge_id": charge_id}, timeout=timeout)
        body = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise RefundFailed(f"Telegram did not answer refundStarPayment: {exc.__class__.__name__}") from exc
    if body.get("ok"):
        return True
    description = str(body.get("description", ""))
    if ALREADY_REFUNDED in description:
        return False
    raise RefundFailed(f"Telegram refused refundStarPayment: {description or answer.status_code}")
