"""English: image generation."""

TEXTS: dict[str, str] = {
    "gen_choose_avatar": "Which avatar shall we create an image with?",
    "gen_choose_avatar_none_ready": (
        "You have no ready avatars yet. You can create an image without an avatar, or train an avatar first."
    ),
    "gen_avatar_main": "⭐ {name}",
    "gen_without_avatar": "Without an avatar (from the description only)",
    "gen_avatar_unavailable": "This avatar is not ready or has been deleted. Choose another one.",
    "gen_ask_prompt": (
        "Avatar: {avatar}.\nDescribe the image in one message (up to {limit} characters) or pick a style:"
    ),
    "gen_no_avatar_label": "no avatar",
    "gen_prompt_too_long": "The description is too long: {length} characters, at most {limit}. Please shorten it.",
    "gen_prompt_empty": "Write a description of the image as text, or pick a style with a button.",
    "gen_use_buttons": "Choose an option with the buttons above, or press Cancel.",
    "gen_style_business": "💼 Business portrait",
    "gen_style_business_prompt": (
        "professional business portrait, tailored suit, soft studio lighting, neutral background, sharp focus"
    ),
    "gen_style_fantasy": "🧙 Fantasy",
    "gen_style_fantasy_prompt": (
        "epic fantasy character portrait, ornate armor, magical glowing forest, cinematic lighting, highly detailed"
    ),
    "gen_style_street": "🏙 Street style",
    "gen_style_street_prompt": "street style photo in a city at golden hour, casual outfit, shallow depth of field",
    "gen_style_cinematic": "🎬 Cinematic",
    "gen_style_cinematic_prompt": "cinematic film still, dramatic lighting, moody color grading, 35mm film grain",
    "gen_choose_size": "Description: {prompt}\n\nChoose the image format:",
    "gen_size_square_hd": "⬛ Square",
    "gen_size_portrait_4_3": "📱 Portrait 3:4",
    "gen_size_portrait_16_9": "📱 Portrait 9:16",
    "gen_size_landscape_4_3": "🖼 Landscape 4:3",
    "gen_size_landscape_16_9": "🖥 Landscape 16:9",
    "gen_choose_count": "How many images? One costs {price} coins.",
    "gen_summary": (
        "Please check your order:\nAvatar: {avatar}\nDescription: {prompt}\nFormat: {size}\nCount: {count}\n"
        "Price: {total} coins{discount}\nYour balance: {balance} coins"
    ),
    "gen_discount": " (discounted, {full} without the discount)",
    "gen_confirm": "✅ Create for {total} coins",
    "gen_insufficient": (
        "Not enough coins: {total} needed, {balance} on your balance. Top up and try again."
    ),
    "gen_topup": "💰 Top up",
    "gen_started": "Creating your images ({count}). They will arrive here as soon as they are ready.",
    "gen_failed_to_start": "Could not send the request. No coins were charged, please try again later.",
}
