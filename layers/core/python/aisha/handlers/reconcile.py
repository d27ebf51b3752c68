"""The scheduled sweep: nothing waits forever.

FAL deliveries whose retry is due are handed on; FAL work whose webhook was lost, or whose delivery
was parked, is asked about at FAL and finished through the normal processing path; deliveries that
never matched are parked; messages that did not go out are sent again; Telegram updates whose
dispatcher died are queued again for their chats.
"""

from __future__ import annotations

import logging
from typing import Any

from aisha.errors import InvokeError
from aisha.functions import TG_DISPATCH
from aisha.handlers.common import request_id_of
from aisha.handlers.fal_process import send_notifications
from aisha.services import outbox, reconcile, tg_dispatch
from aisha.services.fal_work import processor
from aisha.worker import state

log = logging.getLogger("aisha.reconcile")


def reconcile_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Scheduled: finish work whose webhook was lost; retry unsent messages; park the unmatched."""
    worker = state()
    s = worker.settings
    report = reconcile.reconcile(worker.db, worker.fal, older_than=s.reconcile_after_seconds,
                                 park_after=s.park_unmatched_after_seconds, lease=s.fal_hand_on_lease_seconds)
    not_queued = 0
    for kind, event_id in report.to_process:
        try:
            worker.invoker.invoke_event(processor(kind), {"event_id": event_id})
        except InvokeError as exc:  # the next run hands it on again
            not_queued += 1
            log.error("FAL delivery %s not queued: %s", event_id, exc, extra={"event_id": event_id})
            reconcile.not_handed_on(worker.db, event_id)
    # Telegram updates whose dispatcher died: queued again for their chats (parked after 3 tries)
    stuck_chats = tg_dispatch.requeue_stuck(worker.db, worker.redis, older_than_seconds=s.reconcile_after_seconds)
    for chat_id in stuck_chats:
        worker.invoker.invoke_event(TG_DISPATCH, {"chat_id": chat_id})
    unsent = outbox.pending_keys(worker.db, older_than_seconds=s.outbox_resend_after_seconds)
    send_notifications(worker, unsent)
    summary = {"checked": report.checked, "still_running": report.still_running,
               "handed_on": len(report.to_process) - not_queued, "retries_due": report.retried,
               "parked": report.parked, "errors": report.errors,
               "notifications_retried": len(unsent), "telegram_chats_requeued": len(stuck_chats)}
    log.info("reconciled", extra={"request_id": request_id_of(context), **summary})
    return summary
