"""Telegram Stars: sendInvoice (currency XTR, empty provider_token), answerPreCheckoutQuery, refunds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import bad_request
from ..params import Params
from .common import send, table

if TYPE_CHECKING:
    from ..core import SandboxCore


def _required(params: Params, name: str, low: int, high: int) -> str:
    value = params.get_str(name, required=True) or ""
    if not low <= len(value.encode() if name == "payload" else value) <= high:
        raise bad_request(f"{name.upper()}_INVALID" if name != "payload" else "INVOICE_PAYLOAD_INVALID")
    return value


async def send_invoice(core: SandboxCore, params: Params) -> Any:
    chat = core.chat(params.chat_id() or 0)
    title = _required(params, "title", 1, 32)
    description = _required(params, "description", 1, 255)
    payload = _required(params, "payload", 1, 128)
    currency = params.get_str("currency", required=True) or ""
    prices = params.get_json("prices", required=True)
    if not isinstance(prices, list) or not prices or not all(isinstance(p, dict) for p in prices):
        raise bad_request("can't parse prices JSON object")
    if currency == "XTR":
        if params.get_str("provider_token"):
            raise bad_request("provider_token must be empty for payments in Telegram Stars")
        if len(prices) != 1:
            raise bad_request("STARS_INVOICE_INVALID")
    elif not params.get_str("provider_token"):
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    try:
        total = sum(int(p["amount"]) for p in prices)
    except (KeyError, TypeError, ValueError):
        raise bad_request("can't parse prices JSON object") from None
    if total <= 0:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    invoice = {"title": title, "description": description, "start_parameter": params.get_str("start_parameter") or "",
               "currency": currency, "total_amount": total}
    record = send(core, chat, {"invoice": invoice}, params)
    core.invoices[(chat.chat_id, record.message_id)] = {"payload": payload, "prices": prices, **invoice}
    return record.message


async def answer_pre_checkout_query(core: SandboxCore, params: Params) -> Any:
    query_id = params.get_str("pre_checkout_query_id", required=True, empty="query_id is empty") or ""
    checkout = core.checkouts.get(query_id)
    timeout = core.config.pre_checkout_timeout  # the bot's deadline: real seconds, not scaled
    if checkout is not None and checkout.status == "pending" and core.state.clock() - checkout.created_at > timeout:
        checkout.status = "expired"
        checkout.rev = core.state.touch()
    if checkout is None or checkout.status != "pending":
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    if not params.has("ok"):
        raise bad_request("ok is empty")
    if params.get_bool("ok"):
        core.users.complete_payment(checkout)
    else:
        error = params.get_str("error_message", required=True, empty="error_message is empty")
        checkout.status, checkout.error_message = "declined", error
        checkout.rev = core.state.touch()
    return True


async def refund_star_payment(core: SandboxCore, params: Params) -> Any:
    user_id = params.get_int("user_id", required=True)
    charge_id = params.get_str("telegram_payment_charge_id", required=True) or ""
    paid = [c for c in core.checkouts.values() if c.telegram_payment_charge_id == charge_id and c.chat_id == user_id]
    if not paid:
        raise bad_request("CHARGE_NOT_FOUND")
    if paid[0].status == "refunded":
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    paid[0].status = "refunded"
    paid[0].rev = core.state.touch()
    return True


METHODS = table(("sendInvoice", send_invoice), ("answerPreCheckoutQuery", answer_pre_checkout_query),
                ("refundStarPayment", refund_star_payment))
