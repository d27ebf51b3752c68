DROP TABLE IF EXISTS webhook_events, generation_images, generations, avatar_photos, avatars,
    promo_redemptions, promo_codes, ledger_entries, users CASCADE;
DROP FUNCTION IF EXISTS ledger_is_append_only();
