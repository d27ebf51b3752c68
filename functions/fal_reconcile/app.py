"""Every 5 minutes: finish FAL work whose webhook never came, resend unsent messages, requeue stuck updates."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.handlers.reconcile import reconcile_handler as handler

__all__ = ["handler"]
