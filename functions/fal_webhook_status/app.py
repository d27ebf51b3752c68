"""POST /webhook/fal/status: FAL reports the end of an image generation (or any other queued job)."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.functions import FAL_PROCESS_GENERATION
    from aisha.handlers.fal_webhook import webhook_handler
    from aisha.services.fal_work import STATUS_WEBHOOK
    from aisha.worker import warm_if_provisioned

    handler = webhook_handler(STATUS_WEBHOOK, FAL_PROCESS_GENERATION)
    warm_if_provisioned("db", "jwks", "invoker")  # provisioned: its first invocation finds these ready
