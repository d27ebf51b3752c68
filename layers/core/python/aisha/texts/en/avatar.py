"""English: avatar creation (name, gender, type, photos, review, training, status)."""

TEXTS: dict[str, str] = {
    "avatar_ask_name": "Let's create an avatar. What should it be called? Write a name (1 to 64 characters).",
    "avatar_name_invalid": "A name has 1 to 64 characters; this one has {length}. Please write another.",
    "avatar_ask_gender": "Avatar “{name}”. Who is in the photos?",
    "avatar_gender_male": "👨 Man",
    "avatar_gender_female": "👩 Woman",
    "avatar_gender_other": "🧑 Other",
    "avatar_ask_type": (
        "Which kind of avatar?\n"
        "• Portrait: a person's face and look, best for photos of you.\n"
        "• Style: the overall look of the pictures, for a style, an outfit, an object."
    ),
    "avatar_type_portrait": "🙂 Portrait",
    "avatar_type_style": "🎨 Style",
    "avatar_ask_preset": (
        "Training quality (same price):\n"
        "• Fast: {fast} steps, about {fast_time};\n"
        "• Balanced: {balanced} steps, about {balanced_time} (recommended);\n"
        "• Quality: {quality} steps, about {quality_time}."
    ),
    "avatar_preset_fast": "⚡ Fast",
    "avatar_preset_balanced": "⭐ Balanced",
    "avatar_preset_quality": "💎 Quality",
    "avatar_duration_fast": "5–10 minutes",
    "avatar_duration_balanced": "15–20 minutes",
    "avatar_duration_quality": "25–35 minutes",
    "avatar_ask_photos": (
        "Avatar “{name}” created. Send {min} to {max} photos: one by one, as an album or as files.\n"
        "Tips: one face per picture, good light, different angles and backgrounds; JPEG, PNG or WebP, "
        "at least {side} px on the short side and at most 20 MB."
    ),
    "avatar_counter": "📷 Photos: {count} of {min}–{max}.",
    "avatar_counter_more": "Send at least {missing} more.",
    "avatar_counter_enough": "You can go to the review or add up to {left} more.",
    "avatar_counter_full": "That is the maximum. Go to the review.",
    "avatar_refused": "Not accepted: {reason}.",
    "avatar_refused_album": "Not accepted ({count}):",
    "avatar_reason_photo_too_small": "the picture is {width}×{height} px; the short side must be at least {side} px",
    "avatar_reason_photo_too_large": "the file is {size} MB; the limit is 20 MB",
    "avatar_reason_photo_type": "this is not a JPEG, PNG or WebP image",
    "avatar_reason_photo_unreadable": "the file does not open as an image",
    "avatar_reason_photo_duplicate": "this photo is already in the set",
    "avatar_reason_photo_limit": "the set already has {max} photos, the maximum",
    "avatar_reason_download_failed": "the file could not be fetched from Telegram, please send it again",
    "avatar_photo_outside": "I take photos while an avatar is being created. Create a new one?",
    "avatar_photo_too_early": "First answer the questions above, then send the photos.",
    "avatar_use_buttons": "Choose with the buttons above, or press Cancel.",
    "avatar_send_photos": "Waiting for photos: send them one by one, as an album or as files.",
    "avatar_stale_button": "This button is no longer active.",
    "avatar_locked": "This avatar can no longer be changed.",
    "avatar_not_found": "Avatar not found.",
    "avatar_button_new": "🧑‍🎨 Create an avatar",
    "avatar_button_continue": "▶️ Continue “{name}”",
    "avatar_button_review": "✅ Review",
    "avatar_button_more": "➕ Add more",
    "avatar_button_confirm": "🚀 Start training",
    "avatar_button_status": "📊 Training status",
    "avatar_button_refresh": "🔄 Refresh",
    "avatar_button_topup": "💰 Top up",
    "avatar_review": (
        "Review before training\n"
        "Avatar: “{name}”, {gender}, {kind}, {preset}\n"
        "Photos: {count}\n"
        "Price: {price} coins\n"
        "Balance: {balance} coins"
    ),
    "avatar_review_discount": "Promo discount applied: {full} coins without it.",
    "avatar_review_short": "You are {missing} coins short: top up, your photos are kept.",
    "avatar_review_too_few": "Training needs at least {min} photos; there are {count}.",
    "avatar_insufficient": (
        "Not enough coins: training costs {price}, your balance is {balance}. Nothing was charged or sent. "
        "Top up and come back to the review."
    ),
    "avatar_start_failed": (
        "The training could not be started: the service is unavailable. No coins were taken; try again in a minute."
    ),
    "avatar_not_ready": "This avatar cannot be sent to training: {status}.",
    "avatar_training_started": (
        "🚀 Training of avatar “{name}” has started! It usually takes {duration}.\n"
        "I will write when the avatar is ready; the button below shows the status."
    ),
    "avatar_cancelled": "Avatar creation cancelled, the uploaded photos were deleted.",
    "avatar_status": "Avatar “{name}”: {status}.",
    "avatar_status_queue": "Waiting in the training queue, position {position}.",
    "avatar_status_running": "Training: {elapsed} min so far; it usually takes {duration}.",
    "avatar_status_progress": "Progress: {progress}%.",
    "avatar_status_error": "Reason: {reason}",
    "avatar_state_draft": "draft",
    "avatar_state_photos_uploading": "uploading photos",
    "avatar_state_ready_for_training": "ready for training",
    "avatar_state_training": "training",
    "avatar_state_completed": "ready",
    "avatar_state_error": "training failed",
    "avatar_state_cancelled": "cancelled",
    # milestones and endings (issue 14)
    "avatar_closed_training": "“{name}” is training already, its photos cannot change. I will write when it is ready.",
    "avatar_closed_completed": "“{name}” is trained and ready: create images with it.",
    "avatar_closed_error": "The training of “{name}” failed, so it takes no more photos. Create a new avatar?",
    "avatar_closed_cancelled": "“{name}” was cancelled and its photos deleted. Create a new avatar?",
}
