ALTER TABLE webhook_events DROP COLUMN IF EXISTS processing_attempts;
DROP TABLE IF EXISTS notifications;
