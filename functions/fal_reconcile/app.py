"""Every 5 minutes: finish trainings and generations whose webhook never came."""

from aisha.handlers.fal import reconcile_handler as handler

__all__ = ["handler"]
