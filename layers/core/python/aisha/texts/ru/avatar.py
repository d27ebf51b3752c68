"""Русский: создание аватара (имя, пол, тип, фото, проверка, обучение, статус)."""

TEXTS: dict[str, str] = {
    "avatar_ask_name": "Создаём аватар. Как его назвать? Напишите имя (от 1 до 64 символов).",
    "avatar_name_invalid": "Имя должно быть от 1 до 64 символов, а сейчас {length}. Напишите другое.",
    "avatar_ask_gender": "Аватар «{name}». Кто на фотографиях?",
    "avatar_gender_male": "👨 Мужчина",
    "avatar_gender_female": "👩 Женщина",
    "avatar_gender_other": "🧑 Другое",
    "avatar_ask_type": (
        "Какой аватар обучить?\n"
        "• Портрет — лицо и внешность человека: лучше всего для фото с вами.\n"
        "• Стиль — общий вид и манера снимков: для стиля, образа, предмета."
    ),
    "avatar_type_portrait": "🙂 Портрет",
    "avatar_type_style": "🎨 Стиль",
    "avatar_ask_preset": (
        "Качество обучения (цена одна и та же):\n"
        "• Быстро — {fast} шагов, около {fast_time};\n"
        "• Сбалансировано — {balanced} шагов, около {balanced_time} (рекомендуем);\n"
        "• Качество — {quality} шагов, около {quality_time}."
    ),
    "avatar_preset_fast": "⚡ Быстро",
    "avatar_preset_balanced": "⭐ Сбалансировано",
    "avatar_preset_quality": "💎 Качество",
    "avatar_duration_fast": "5–10 минут",
    "avatar_duration_balanced": "15–20 минут",
    "avatar_duration_quality": "25–35 минут",
    "avatar_ask_photos": (
        "Аватар «{name}» создан. Пришлите от {min} до {max} фотографий: по одной, альбомом или файлами.\n"
        "Советы: одно лицо на снимке, хороший свет, разные ракурсы и фон; JPEG, PNG или WebP, "
        "не меньше {side} px по короткой стороне и не больше 20 МБ."
    ),
    "avatar_counter": "📷 Фотографий: {count} из {min}–{max}.",
    "avatar_counter_more": "Пришлите ещё хотя бы {missing}.",
    "avatar_counter_enough": "Можно перейти к проверке или добавить ещё до {left}.",
    "avatar_counter_full": "Это максимум. Перейдите к проверке.",
    "avatar_refused": "Не принято: {reason}.",
    "avatar_refused_album": "Не принято {count}:",
    "avatar_reason_photo_too_small": "снимок {width}×{height} px, а короткая сторона должна быть не меньше {side} px",
    "avatar_reason_photo_too_large": "файл {size} МБ, а предел — 20 МБ",
    "avatar_reason_photo_type": "это не изображение JPEG, PNG или WebP",
    "avatar_reason_photo_unreadable": "файл не открывается как изображение",
    "avatar_reason_photo_duplicate": "это фото уже есть в наборе",
    "avatar_reason_photo_limit": "в наборе уже {max} фото — это максимум",
    "avatar_reason_download_failed": "не удалось получить файл от Telegram, пришлите его ещё раз",
    "avatar_photo_outside": "Фотографии я принимаю, когда создаётся аватар. Создать новый?",
    "avatar_photo_too_early": "Сначала ответьте на вопросы выше, потом пришлите фотографии.",
    "avatar_use_buttons": "Выберите вариант кнопками выше или нажмите «Отмена».",
    "avatar_send_photos": "Жду фотографии: пришлите их по одной, альбомом или файлами.",
    "avatar_stale_button": "Эта кнопка уже неактуальна.",
    "avatar_locked": "Этот аватар уже нельзя изменить.",
    "avatar_not_found": "Аватар не найден.",
    "avatar_button_new": "🧑‍🎨 Создать аватар",
    "avatar_button_continue": "▶️ Продолжить «{name}»",
    "avatar_button_review": "✅ К проверке",
    "avatar_button_more": "➕ Добавить ещё",
    "avatar_button_confirm": "🚀 Начать обучение",
    "avatar_button_status": "📊 Статус обучения",
    "avatar_button_refresh": "🔄 Обновить",
    "avatar_button_topup": "💰 Пополнить баланс",
    "avatar_review": (
        "Проверка перед обучением\n"
        "Аватар: «{name}» — {gender}, {kind}, {preset}\n"
        "Фотографий: {count}\n"
        "Стоимость: {price} монет\n"
        "Баланс: {balance} монет"
    ),
    "avatar_review_discount": "Скидка по промокоду: без неё {full} монет.",
    "avatar_review_short": "Не хватает {missing} монет — пополните баланс, фотографии сохранятся.",
    "avatar_review_too_few": "Для обучения нужно не меньше {min} фотографий, сейчас {count}.",
    "avatar_insufficient": (
        "Недостаточно монет: обучение стоит {price}, на балансе {balance}. Ничего не списано и не отправлено. "
        "Пополните баланс и вернитесь к проверке."
    ),
    "avatar_start_failed": (
        "Не удалось запустить обучение: сервис сейчас недоступен. Монеты не списаны — попробуйте через минуту."
    ),
    "avatar_not_ready": "Этот аватар нельзя отправить на обучение: {status}.",
    "avatar_training_started": (
        "🚀 Обучение аватара «{name}» началось! Обычно это занимает {duration}.\n"
        "Я пришлю сообщение, когда аватар будет готов; статус можно посмотреть кнопкой ниже."
    ),
    "avatar_cancelled": "Создание аватара отменено, загруженные фотографии удалены.",
    "avatar_status": "Аватар «{name}»: {status}.",
    "avatar_status_queue": "В очереди на обучение, позиция {position}.",
    "avatar_status_running": "Идёт обучение: прошло {elapsed} мин., обычно занимает {duration}.",
    "avatar_status_progress": "Прогресс: {progress}%.",
    "avatar_status_error": "Причина: {reason}",
    "avatar_state_draft": "черновик",
    "avatar_state_photos_uploading": "загрузка фотографий",
    "avatar_state_ready_for_training": "готов к обучению",
    "avatar_state_training": "обучается",
    "avatar_state_completed": "готов",
    "avatar_state_error": "ошибка обучения",
    "avatar_state_cancelled": "отменён",
    # milestones and endings (issue 14)
    "avatar_closed_training": "«{name}» уже обучается, его фото больше не меняются. Я напишу, когда он будет готов.",
    "avatar_closed_completed": "«{name}» обучен и готов: создавайте с ним изображения.",
    "avatar_closed_error": "Обучение «{name}» не удалось, фото к нему больше не добавить. Создать новый аватар?",
    "avatar_closed_cancelled": "«{name}» отменён, его фото удалены. Создать новый аватар?",
}
