"""POST /webhook/fal/status: FAL reports the end of an image generation (or any other queued job)."""

from aisha.handlers.fal import GENERATION_PROCESSOR, webhook_handler

handler = webhook_handler("/webhook/fal/status", GENERATION_PROCESSOR)
