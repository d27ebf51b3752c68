"""POST /webhook/fal/portrait: FAL reports the end of an avatar training."""

from aisha.handlers.fal import TRAINING_PROCESSOR, webhook_handler

handler = webhook_handler("/webhook/fal/portrait", TRAINING_PROCESSOR)
