"""Event invocation: hand one chat's queued updates to their handler functions, in order."""

from aisha.handlers.tg_dispatch import dispatch_handler as handler

__all__ = ["handler"]
