-- A new user's welcome is owed until Telegram has taken it: registration and the welcome are two steps,
-- and a handler killed between them runs again as a known user. Users before this migration were welcomed.
ALTER TABLE users ADD COLUMN welcomed_at TIMESTAMPTZ;
UPDATE users SET welcomed_at = created_at;
