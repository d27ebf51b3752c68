"""Every minute: one edited message per training telling the user how far it is."""

from aisha.handlers.progress import progress_handler as handler

__all__ = ["handler"]
