-- depends: 0002_outbox_and_processing
-- FAL deliveries are retried by our own schedule (backoff over hours), not by the runner's two quick
-- retries: `next_retry_at` is when a `failed` delivery is due again, or, for one handed on
-- (`received`/`processing`), when its hand-on lease ends and the reconciler may hand it on again.
ALTER TABLE webhook_events ADD COLUMN next_retry_at TIMESTAMPTZ;
CREATE INDEX webhook_events_fal_due ON webhook_events (next_retry_at)
    WHERE provider = 'fal' AND status IN ('received', 'processing', 'failed');
