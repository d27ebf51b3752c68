DROP INDEX IF EXISTS webhook_events_age;
ALTER TABLE webhook_events DROP COLUMN IF EXISTS body_sha256;
ALTER TABLE webhook_events DROP COLUMN IF EXISTS body_size;
