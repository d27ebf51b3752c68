"""bot_balance: the balance, its history from the ledger, promo codes, top-ups with Telegram Stars.

What reaches it (aisha/bot/routing.py): `balance:...` buttons, /balance /promo /topup, free text while
the chat's conversation belongs to the balance flow (a promo code being typed), `pre_checkout_query`
updates and messages carrying a `successful_payment`.
"""

from aisha.bot.flows.balance.flow import handle

__all__ = ["handle"]
