"""Event invocation: hand one chat's queued updates to their handler functions, in order."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.handlers.tg_dispatch import dispatch_handler as handler
    from aisha.worker import warm_if_provisioned

    warm_if_provisioned("db", "redis", "invoker")  # provisioned: its first invocation finds these ready

__all__ = ["handler"]
