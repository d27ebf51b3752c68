ALTER TABLE notifications DROP COLUMN IF EXISTS claimed_until;
