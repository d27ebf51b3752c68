"""Every minute: one edited message per training telling the user how far it is."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.handlers.progress import progress_handler as handler

__all__ = ["handler"]
