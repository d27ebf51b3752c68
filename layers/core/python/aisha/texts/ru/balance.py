"""Русский: баланс, история, промокоды, пополнение звёздами Telegram."""

TEXTS: dict[str, str] = {
    "balance_title": (
        "💰 Ваш баланс: {balance} монет.\n"
        "Обучение аватара — {training} монет, одно изображение — {image}."
    ),
    "balance_button_history": "📜 История",
    "balance_button_promo": "🎟 Промокод",
    "balance_button_topup": "⭐️ Пополнить",
    "balance_button_older": "Раньше ➡️",
    "balance_button_newer": "⬅️ Позже",
    "balance_button_balance": "💰 Баланс",
    "balance_history_title": "📜 История операций (время UTC), страница {page}:",
    "balance_history_empty": "📜 Операций пока нет.",
    "balance_history_line": "{date} · {kind} · {amount}",
    "balance_kind_topup": "пополнение",
    "balance_kind_promo": "промокод",
    "balance_kind_bonus": "бонус",
    "balance_kind_charge": "списание",
    "balance_kind_refund": "возврат",
    "balance_kind_adjustment": "корректировка",
    "balance_promo_ask": "Отправьте промокод одним сообщением (или /cancel).",
    "balance_promo_coins": "🎉 Промокод {code} активирован: +{coins} монет. Баланс: {balance} монет.",
    "balance_promo_bonus": "🎉 Промокод {code} активирован: бонус {percent}% к следующему пополнению.",
    "balance_promo_discount": "🎉 Промокод {code} активирован: скидка {percent}% на следующую покупку.",
    "balance_promo_not_found": "Промокод {code} не найден. Проверьте написание и отправьте ещё раз.",
    "balance_promo_inactive": "Промокод {code} больше не действует.",
    "balance_promo_not_started": "Промокод {code} ещё не начал действовать.",
    "balance_promo_expired": "Срок действия промокода {code} истёк.",
    "balance_promo_exhausted": "Промокод {code} уже использован максимальное число раз.",
    "balance_promo_already_used": "Вы уже использовали промокод {code}.",
    "balance_promo_rejected": "Промокод {code} не принят.",
    "balance_topup_title": "⭐️ Пополнение баланса звёздами Telegram. Выберите пакет:",
    "balance_topup_offer": "{coins} монет — {stars} ⭐️",
    "balance_topup_unknown": "Этого пакета больше нет, выберите другой.",
    "balance_invoice_title": "{coins} монет Aisha",
    "balance_invoice_description": "Пополнение баланса Aisha на {coins} монет.",
    "balance_invoice_label": "{coins} монет",
    "balance_checkout_invalid": "Этот счёт больше не действителен. Откройте /topup и выберите пакет заново.",
    "balance_paid": "✅ Оплата получена: +{coins} монет. Баланс: {balance} монет.",
    "balance_paid_bonus": "✅ Оплата получена: +{coins} монет и бонус +{bonus}. Баланс: {balance} монет.",
    "balance_paid_already": "Этот платёж уже зачислен. Баланс: {balance} монет.",
    "balance_paid_unknown": (
        "Оплата получена, но счёт не распознан. Напишите в поддержку ({contact}), мы всё зачислим вручную."
    ),
}
