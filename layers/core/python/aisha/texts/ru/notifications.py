"""Русский каталог."""

TEXTS: dict[str, str] = {
    "avatar_ready": "Аватар «{name}» готов! Теперь можно создавать изображения с ним.",
    "avatar_failed": (
        "К сожалению, обучение аватара «{name}» не удалось: {reason}. "
        "Мы вернули {coins} монет на ваш баланс."
    ),
    "avatar_failed_no_refund": "К сожалению, обучение аватара «{name}» не удалось: {reason}.",
    "generation_done": "Готово! Ваш запрос: {prompt}",
    "generation_nsfw_hidden": "{count} из изображений скрыто: сервис отметил их как неподходящие.",
    "generation_all_hidden": "Все изображения скрыты: сервис отметил их как неподходящие. Попробуйте другой запрос.",
    "generation_failed": "Не удалось создать изображение: {reason}. Мы вернули {coins} монет на ваш баланс.",
    "button_generate": "Создать изображение",
    "reason_unknown": "сервис не смог обработать запрос",
    "reason_result_unavailable": "не удалось получить готовый результат от сервиса",
    "progress_done": "Аватар «{name}» обучен\n▓▓▓▓▓▓▓▓▓▓ 100%",
    "progress_stopped": "Обучение аватара «{name}» остановлено.",
    # milestones and endings (issue 14)
    "generation_next": "Что дальше?",
    "generation_button_again": "🔁 Ещё раз",
    "generation_button_style": "🎨 Другой стиль",
    "generation_button_gallery": "📁 Галерея",
}
