"""Русский: сообщения о ходе обучения."""

TEXTS: dict[str, str] = {
    "progress_queued": "Аватар «{name}» ждёт в очереди на обучение, позиция {position}.",
    "progress_training": "Аватар «{name}» обучается\n{bar} примерно {percent}%",
}
