-- depends: 0001_domain
-- Messages to users are written in the same transaction as the state change that causes them and
-- sent after commit; the unique key makes "tell the user once" hold across retries and duplicates.
CREATE TABLE notifications (
    id              BIGSERIAL PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    chat_id         BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    payload         JSONB NOT NULL DEFAULT '{}'::jsonb,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at         TIMESTAMPTZ
);
CREATE INDEX notifications_pending ON notifications (created_at) WHERE status = 'pending';

-- How many times processing of a delivery was tried; parked for an operator after the last one.
ALTER TABLE webhook_events ADD COLUMN processing_attempts INTEGER NOT NULL DEFAULT 0;
