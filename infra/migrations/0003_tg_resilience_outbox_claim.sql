-- The outbox claims a message before it sends it (claim, commit, send, mark sent): no transaction
-- is held during the send, and a sender killed mid-send leaves a claim that lapses at claimed_until,
-- after which the next sweep sends the message again (at least once, at most one duplicate per kill).
ALTER TABLE notifications ADD COLUMN claimed_until TIMESTAMPTZ;
