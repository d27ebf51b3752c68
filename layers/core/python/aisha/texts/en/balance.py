"""English: balance, history, promo codes, top-up with Telegram Stars."""

TEXTS: dict[str, str] = {
    "balance_title": (
        "💰 Your balance: {balance} coins.\n"
        "Training an avatar costs {training} coins, one image {image}."
    ),
    "balance_button_history": "📜 History",
    "balance_button_promo": "🎟 Promo code",
    "balance_button_topup": "⭐️ Top up",
    "balance_button_older": "Older ➡️",
    "balance_button_newer": "⬅️ Newer",
    "balance_button_balance": "💰 Balance",
    "balance_history_title": "📜 Your transactions (UTC), page {page}:",
    "balance_history_empty": "📜 No transactions yet.",
    "balance_history_line": "{date} · {kind} · {amount}",
    "balance_kind_topup": "top-up",
    "balance_kind_promo": "promo code",
    "balance_kind_bonus": "bonus",
    "balance_kind_charge": "charge",
    "balance_kind_refund": "refund",
    "balance_kind_adjustment": "adjustment",
    "balance_promo_ask": "Send the promo code as one message (or /cancel).",
    "balance_promo_coins": "🎉 Promo code {code} redeemed: +{coins} coins. Balance: {balance} coins.",
    "balance_promo_bonus": "🎉 Promo code {code} redeemed: a {percent}% bonus on your next top-up.",
    "balance_promo_discount": "🎉 Promo code {code} redeemed: a {percent}% discount on your next purchase.",
    "balance_promo_not_found": "There is no promo code {code}. Check the spelling and send it again.",
    "balance_promo_inactive": "The promo code {code} is no longer active.",
    "balance_promo_not_started": "The promo code {code} is not valid yet.",
    "balance_promo_expired": "The promo code {code} has expired.",
    "balance_promo_exhausted": "The promo code {code} has been used up.",
    "balance_promo_already_used": "You have already used the promo code {code}.",
    "balance_promo_rejected": "The promo code {code} was not accepted.",
    "balance_topup_title": "⭐️ Top up with Telegram Stars. Choose a package:",
    "balance_topup_offer": "{coins} coins for {stars} ⭐️",
    "balance_topup_unknown": "This package is no longer offered, please choose another one.",
    "balance_invoice_title": "{coins} Aisha coins",
    "balance_invoice_description": "Adds {coins} coins to your Aisha balance.",
    "balance_invoice_label": "{coins} coins",
    "balance_checkout_invalid": "This invoice is no longer valid. Open /topup and choose a package again.",
    "balance_paid": "✅ Payment received: +{coins} coins. Balance: {balance} coins.",
    "balance_paid_bonus": "✅ Payment received: +{coins} coins and a bonus of +{bonus}. Balance: {balance} coins.",
    "balance_paid_already": "This payment is already credited. Balance: {balance} coins.",
    "balance_paid_unknown": (
        "Payment received, but the invoice was not recognised. Contact support ({contact}) and we will credit it "
        "by hand."
    ),
}
