"""English: common, start, menu, help."""

TEXTS: dict[str, str] = {
    "welcome": (
        "Hi, {name}! I am Aisha: I train your personal AI avatar from your photos and create images with it.\n"
        "To get you started, {bonus} coins are on your balance."
    ),
    "welcome_back": "Welcome back, {name}!",
    "menu_title": "Main menu. Balance: {balance} coins.",
    "menu_avatar": "🧑‍🎨 Create an avatar",
    "menu_generate": "🖼 Create an image",
    "menu_gallery": "📁 Gallery",
    "menu_balance": "💰 Balance",
    "menu_language": "🌐 Язык / Language",
    "menu_help": "❓ Help",
    "choose_language": "Choose a language:",
    "language_set": "Language: English.",
    "help": (
        "I train a personal avatar from 10–20 of your photos and create images with it.\n"
        "Training costs {training} coins, one image {image} coins.\n"
        "Commands: /start — menu, /avatar — new avatar, /generate — image, /gallery — gallery, "
        "/balance — balance, /cancel — cancel what you are doing."
    ),
    "cancelled": "Cancelled.",
    "nothing_to_cancel": "There is nothing to cancel.",
    "unsupported": "I understand text, commands, buttons and photos. Open the menu: /start",
    "session_expired": "The session expired; let's start again from the menu.",
    "rate_limited": "Too many messages. Please wait a minute.",
    "paid_rate_limited": "Too many paid actions in a row. Please try again in a minute.",
    "error_generic": "Something went wrong. We are on it; please try again later.",
    "button_back": "⬅️ Back",
    "button_menu": "🏠 Menu",
    "button_cancel": "✖️ Cancel",
    # milestones and endings (issue 14)
    "session_cancelled": "You cancelled that earlier, so this button does nothing now. Start again from the menu.",
    "session_done": "That is done already. What next? Here is the menu.",
    "session_done_avatar": "The training has started already; I will write when the avatar is ready. The menu:",
    "session_done_gen": "These images are ordered already: they will arrive here. Want more? The menu:",
    "button_outdated": "This button is from an earlier conversation; carry on with the newest message below.",
}
