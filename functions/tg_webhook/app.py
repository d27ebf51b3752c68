"""POST /webhook/telegram: Telegram delivers updates here."""

from aisha.handlers.tg_webhook import webhook_handler as handler
from aisha.worker import warm_if_provisioned

warm_if_provisioned("db", "redis", "invoker")  # provisioned: its first invocation finds these ready

__all__ = ["handler"]
