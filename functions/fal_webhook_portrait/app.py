"""POST /webhook/fal/portrait: FAL reports the end of an avatar training."""

from aisha.functions import FAL_PROCESS_TRAINING
from aisha.handlers.fal_webhook import webhook_handler

handler = webhook_handler("/webhook/fal/portrait", FAL_PROCESS_TRAINING)
