"""POST /webhook/fal/portrait: FAL reports the end of an avatar training."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.functions import FAL_PROCESS_TRAINING
    from aisha.handlers.fal_webhook import webhook_handler
    from aisha.services.fal_work import PORTRAIT_WEBHOOK
    from aisha.worker import warm_if_provisioned

    handler = webhook_handler(PORTRAIT_WEBHOOK, FAL_PROCESS_TRAINING)
    warm_if_provisioned("db", "jwks", "invoker")  # provisioned: its first invocation finds these ready
