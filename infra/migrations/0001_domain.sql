-- The whole domain of DESIGN.md: users and their coin ledger, promo codes, avatars and photos,
-- generations and images, and the webhook event journal.

CREATE TABLE users (
    id              BIGINT PRIMARY KEY,                -- the Telegram user id
    username        TEXT,
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT,
    language        TEXT NOT NULL DEFAULT 'ru' CHECK (language IN ('ru', 'en')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Append-only: the balance is SUM(amount). A refund points at its charge, once (UNIQUE refund_of).
CREATE TABLE ledger_entries (
    id              BIGSERIAL PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users(id),
    amount          INTEGER NOT NULL CHECK (amount <> 0),
    kind            TEXT NOT NULL CHECK (kind IN ('topup', 'promo', 'bonus', 'charge', 'refund', 'adjustment')),
    reason          TEXT NOT NULL DEFAULT '',
    refund_of       BIGINT UNIQUE REFERENCES ledger_entries(id),
    idempotency_key TEXT UNIQUE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind = 'charge') = (amount < 0) OR kind = 'adjustment'),
    CHECK ((kind = 'refund') = (refund_of IS NOT NULL))
);
CREATE INDEX ledger_entries_user ON ledger_entries (user_id, id);

CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only';
END $$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();

CREATE TABLE promo_codes (
    code            TEXT PRIMARY KEY CHECK (code = upper(code) AND length(code) BETWEEN 3 AND 64),
    kind            TEXT NOT NULL CHECK (kind IN ('coins', 'bonus_percent', 'discount_percent')),
    value           INTEGER NOT NULL CHECK (value > 0),
    valid_from      TIMESTAMPTZ,
    valid_until     TIMESTAMPTZ,
    max_uses        INTEGER CHECK (max_uses > 0),          -- NULL: unlimited
    per_user_limit  INTEGER NOT NULL DEFAULT 1 CHECK (per_user_limit > 0),
    uses            INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0),
    active          BOOLEAN NOT NULL DEFAULT true,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (kind = 'coins' OR value <= 100),
    CHECK (max_uses IS NULL OR uses <= max_uses)
);

-- A bonus or discount redemption waits for the purchase it applies to (applied_at).
CREATE TABLE promo_redemptions (
    id              BIGSERIAL PRIMARY KEY,
    code            TEXT NOT NULL REFERENCES promo_codes(code),
    user_id         BIGINT NOT NULL REFERENCES users(id),
    ledger_entry_id BIGINT REFERENCES ledger_entries(id),
    applied_at      TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX promo_redemptions_user ON promo_redemptions (user_id, code);

CREATE TABLE avatars (
    id              BIGSERIAL PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users(id),
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    gender          TEXT NOT NULL CHECK (gender IN ('male', 'female', 'other')),
    training_type   TEXT NOT NULL CHECK (training_type IN ('portrait', 'style')),
    preset          TEXT NOT NULL DEFAULT 'balanced' CHECK (preset IN ('fast', 'balanced', 'quality')),
    trigger_phrase  TEXT NOT NULL UNIQUE,
    is_main         BOOLEAN NOT NULL DEFAULT false,
    status          TEXT NOT NULL DEFAULT 'draft' CHECK (status IN (
                        'draft', 'photos_uploading', 'ready_for_training', 'training',
                        'completed', 'error', 'cancelled')),
    fal_request_id  TEXT UNIQUE,
    fal_model       TEXT,
    training_charge_id BIGINT REFERENCES ledger_entries(id),
    lora_key        TEXT,                                  -- our bucket, never FAL's URL
    config_key      TEXT,
    progress        SMALLINT NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    error           TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    training_started_at TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ,
    CHECK (status <> 'completed' OR lora_key IS NOT NULL)
);
CREATE UNIQUE INDEX avatars_one_main_per_user ON avatars (user_id) WHERE is_main;
CREATE INDEX avatars_user ON avatars (user_id, id);
CREATE INDEX avatars_waiting ON avatars (training_started_at) WHERE status = 'training';

CREATE TABLE avatar_photos (
    id              BIGSERIAL PRIMARY KEY,
    avatar_id       BIGINT NOT NULL REFERENCES avatars(id) ON DELETE CASCADE,
    s3_key          TEXT NOT NULL UNIQUE,
    content_type    TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    size_bytes      INTEGER NOT NULL CHECK (size_bytes > 0),
    width           INTEGER NOT NULL CHECK (width > 0),
    height          INTEGER NOT NULL CHECK (height > 0),
    sha256          TEXT NOT NULL CHECK (length(sha256) = 64),
    position        SMALLINT NOT NULL CHECK (position >= 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (avatar_id, sha256),
    UNIQUE (avatar_id, position) DEFERRABLE INITIALLY IMMEDIATE  -- checked per statement: renumbering works
);

CREATE TABLE generations (
    id              BIGSERIAL PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users(id),
    avatar_id       BIGINT REFERENCES avatars(id) ON DELETE SET NULL,
    prompt          TEXT NOT NULL CHECK (length(prompt) BETWEEN 1 AND 2000),
    params          JSONB NOT NULL DEFAULT '{}'::jsonb,
    num_images      SMALLINT NOT NULL CHECK (num_images BETWEEN 1 AND 4),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'queued', 'completed', 'failed')),
    fal_request_id  TEXT UNIQUE,
    fal_model       TEXT,
    cost            INTEGER NOT NULL CHECK (cost >= 0),
    charge_id       BIGINT REFERENCES ledger_entries(id),
    error           TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    queued_at       TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ
);
CREATE INDEX generations_user ON generations (user_id, id DESC);
CREATE INDEX generations_waiting ON generations (queued_at) WHERE status = 'queued';

CREATE TABLE generation_images (
    id              BIGSERIAL PRIMARY KEY,
    generation_id   BIGINT NOT NULL REFERENCES generations(id) ON DELETE CASCADE,
    position        SMALLINT NOT NULL CHECK (position >= 0),
    s3_key          TEXT NOT NULL UNIQUE,
    content_type    TEXT NOT NULL,
    width           INTEGER,
    height          INTEGER,
    nsfw            BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (generation_id, position)
);

-- Every inbound delivery as received. An accepted delivery has its provider key (FAL request id,
-- Telegram update id) and is unique on it: the idempotency key. A refused one keeps what it
-- claimed in claimed_key and no delivery_key, so a forgery never blocks the real delivery.
CREATE TABLE webhook_events (
    id              BIGSERIAL PRIMARY KEY,
    provider        TEXT NOT NULL CHECK (provider IN ('fal', 'telegram')),
    endpoint        TEXT NOT NULL,
    delivery_key    TEXT,
    claimed_key     TEXT,
    headers         JSONB NOT NULL DEFAULT '{}'::jsonb,
    body            BYTEA NOT NULL,
    signature       TEXT NOT NULL CHECK (signature IN ('valid', 'invalid', 'missing', 'stale', 'unchecked')),
    status          TEXT NOT NULL CHECK (status IN (
                        'rejected', 'received', 'processing', 'processed', 'unmatched', 'failed', 'parked')),
    error_code      TEXT,
    last_error      TEXT,
    attempts        INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    received_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at    TIMESTAMPTZ,
    UNIQUE (provider, delivery_key),
    CHECK ((status = 'rejected') = (delivery_key IS NULL))
);
CREATE INDEX webhook_events_open ON webhook_events (provider, status) WHERE status IN ('unmatched', 'failed', 'parked');
