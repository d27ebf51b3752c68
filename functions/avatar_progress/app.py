"""Every minute: one edited message per training telling the user how far it is."""

from aisha.handlers.fal import progress_handler as handler

__all__ = ["handler"]
