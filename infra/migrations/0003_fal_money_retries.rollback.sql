DROP INDEX IF EXISTS webhook_events_fal_due;
ALTER TABLE webhook_events DROP COLUMN IF EXISTS next_retry_at;
