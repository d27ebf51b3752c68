"""Русский: создание изображений."""

TEXTS: dict[str, str] = {
    "gen_choose_avatar": "С каким аватаром создаём изображение?",
    "gen_choose_avatar_none_ready": (
        "У вас пока нет готовых аватаров. Можно создать изображение без аватара или сначала обучить аватар."
    ),
    "gen_avatar_main": "⭐ {name}",
    "gen_without_avatar": "Без аватара (просто по описанию)",
    "gen_avatar_unavailable": "Этот аватар ещё не готов или удалён. Выберите другой.",
    "gen_ask_prompt": (
        "Аватар: {avatar}.\nОпишите изображение одним сообщением (до {limit} символов) или выберите стиль:"
    ),
    "gen_no_avatar_label": "без аватара",
    "gen_prompt_too_long": "Описание слишком длинное: {length} символов, можно не больше {limit}. Сократите его.",
    "gen_prompt_empty": "Напишите описание изображения текстом или выберите стиль кнопкой.",
    "gen_use_buttons": "Выберите вариант кнопкой выше или нажмите «Отмена».",
    "gen_style_business": "💼 Деловой портрет",
    "gen_style_business_prompt": (
        "professional business portrait, tailored suit, soft studio lighting, neutral background, sharp focus"
    ),
    "gen_style_fantasy": "🧙 Фэнтези",
    "gen_style_fantasy_prompt": (
        "epic fantasy character portrait, ornate armor, magical glowing forest, cinematic lighting, highly detailed"
    ),
    "gen_style_street": "🏙 Городской стиль",
    "gen_style_street_prompt": "street style photo in a city at golden hour, casual outfit, shallow depth of field",
    "gen_style_cinematic": "🎬 Кино",
    "gen_style_cinematic_prompt": "cinematic film still, dramatic lighting, moody color grading, 35mm film grain",
    "gen_choose_size": "Описание: {prompt}\n\nВыберите формат изображения:",
    "gen_size_square_hd": "⬛ Квадрат",
    "gen_size_portrait_4_3": "📱 Портрет 3:4",
    "gen_size_portrait_16_9": "📱 Портрет 9:16",
    "gen_size_landscape_4_3": "🖼 Альбом 4:3",
    "gen_size_landscape_16_9": "🖥 Альбом 16:9",
    "gen_choose_count": "Сколько изображений создать? Одно стоит {price} монет.",
    "gen_summary": (
        "Проверьте заказ:\nАватар: {avatar}\nОписание: {prompt}\nФормат: {size}\nКоличество: {count}\n"
        "Стоимость: {total} монет{discount}\nВаш баланс: {balance} монет"
    ),
    "gen_discount": " (со скидкой, без неё {full})",
    "gen_confirm": "✅ Создать за {total} монет",
    "gen_insufficient": (
        "Не хватает монет: нужно {total}, на балансе {balance}. Пополните баланс и попробуйте снова."
    ),
    "gen_topup": "💰 Пополнить баланс",
    "gen_started": "Создаю изображения ({count} шт.). Они придут сюда, как только будут готовы.",
    "gen_failed_to_start": "Не удалось отправить запрос. Монеты не списаны, попробуйте позже.",
}
