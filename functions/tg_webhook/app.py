"""POST /webhook/telegram: Telegram delivers updates here."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.handlers.tg_webhook import webhook_handler as handler
    from aisha.worker import warm_if_provisioned

    warm_if_provisioned("db", "redis", "invoker")  # provisioned: its first invocation finds these ready

__all__ = ["handler"]
