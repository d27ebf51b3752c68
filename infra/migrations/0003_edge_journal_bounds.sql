-- depends: 0002_outbox_and_processing
-- Bounded journal: a refused delivery keeps only the first few KB of its body, so its full size and
-- SHA-256 are recorded beside it (for every row, accepted ones too); the retention sweep deletes by age.
ALTER TABLE webhook_events ADD COLUMN body_size BIGINT;
ALTER TABLE webhook_events ADD COLUMN body_sha256 TEXT;
UPDATE webhook_events SET body_size = length(body), body_sha256 = encode(sha256(body), 'hex');
CREATE INDEX webhook_events_age ON webhook_events (status, last_seen_at);
