"""Every hour: delete webhook journal rows past their retention (JOURNAL_RETENTION_DAYS,
JOURNAL_REJECTED_RETENTION_DAYS); open work is never deleted."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.handlers.retention import retention_handler as handler

__all__ = ["handler"]
