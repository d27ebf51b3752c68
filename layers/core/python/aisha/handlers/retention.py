"""The scheduled journal retention: deletes old finished rows of the webhook journal (see the service)."""

from __future__ import annotations

import logging
from typing import Any

from aisha.handlers.common import request_id_of
from aisha.services import journal_retention
from aisha.worker import state

log = logging.getLogger("aisha.retention")


def retention_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled: JOURNAL_RETENTION_DAYS for processed deliveries, JOURNAL_REJECTED_RETENTION_DAYS for refused."""
    worker = state()
    s = worker.settings
    report = journal_retention.sweep(worker.db, processed_days=s.journal_retention_days,
                                     rejected_days=s.journal_rejected_retention_days)
    summary = {"processed_deleted": report.processed, "rejected_deleted": report.rejected,
               "complete": report.complete}
    log.info("journal retention", extra={"request_id": request_id_of(context), **summary})
    return summary
