"""English: training progress messages."""

TEXTS: dict[str, str] = {
    "progress_queued": "Avatar “{name}” is waiting in the training queue, position {position}.",
    "progress_training": "Avatar “{name}” is training\n{bar} about {percent}%",
}
