"""The names of the collection's functions, as chalice.json declares them: the one place they are spelled.

Whatever invokes or routes to a function uses these constants; tests/unit/test_core_stack.py checks
that every one of them is a function of chalice.json.
"""

from __future__ import annotations

HEALTH = "health"
METRICS = "metrics"
FAL_WEBHOOK_PORTRAIT = "fal_webhook_portrait"
FAL_WEBHOOK_STATUS = "fal_webhook_status"
FAL_PROCESS_TRAINING = "fal_process_training"
FAL_PROCESS_GENERATION = "fal_process_generation"
FAL_RECONCILE = "fal_reconcile"
JOURNAL_RETENTION = "journal_retention"
AVATAR_PROGRESS = "avatar_progress"
TG_WEBHOOK = "tg_webhook"
TG_DISPATCH = "tg_dispatch"
BOT_START = "bot_start"
BOT_AVATAR = "bot_avatar"
BOT_BALANCE = "bot_balance"
BOT_GENERATE = "bot_generate"
BOT_GALLERY = "bot_gallery"
BOT_HELP = "bot_help"

ALL = (HEALTH, METRICS, FAL_WEBHOOK_PORTRAIT, FAL_WEBHOOK_STATUS, FAL_PROCESS_TRAINING, FAL_PROCESS_GENERATION,
       FAL_RECONCILE, JOURNAL_RETENTION, AVATAR_PROGRESS, TG_WEBHOOK, TG_DISPATCH, BOT_START, BOT_AVATAR,
       BOT_BALANCE, BOT_GENERATE, BOT_GALLERY, BOT_HELP)
