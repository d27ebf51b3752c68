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
        "Commands:\n{commands}"
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
    "button_unknown": "This button no longer works. Here is the menu.",
    "language_name": "English",
    "unknown_command": "I do not know the command /{command}. Here is what I understand:\n{commands}",
    "command_start": "main menu",
    "command_avatar": "create an avatar from your photos",
    "command_generate": "create an image",
    "command_gallery": "your avatars and images",
    "command_balance": "balance and history",
    "command_topup": "top up with Telegram Stars",
    "command_promo": "enter a promo code",
    "command_language": "change the language",
    "command_help": "what I can do",
    "command_cancel": "cancel what you are doing",
    "command_paysupport": "help with a payment",
    "command_terms": "terms of use",
    "support_contact_default": "the bot's administrator",
    "paysupport": (
        "Payment support. If a payment went wrong (coins not credited, charged twice, an image not delivered), "
        "write to {contact} with the date and the amount in Stars. Coins for a failed training or generation "
        "are returned to your balance automatically; Stars are refunded through Telegram when a payment "
        "could not be credited.\nYour balance and history: /balance"
    ),
    "terms": (
        "Terms of use.\n"
        "• Coins are bought with Telegram Stars and spent on trainings and images; they cannot be exchanged "
        "back for money.\n"
        "• A training or generation that fails is not charged: its coins come back to your balance.\n"
        "• Upload only photos of yourself, or of people who agreed to it; images must not break the law or "
        "Telegram's rules.\n"
        "• Your photos are used only to train your avatar; you can delete avatars and images in /gallery.\n"
        "Questions and payment problems: write to {contact} (/paysupport)."
    ),
    # milestones and endings (issue 14)
    "session_cancelled": "You cancelled that earlier, so this button does nothing now. Start again from the menu.",
    "session_done": "That is done already. What next? Here is the menu.",
    "session_done_avatar": "The training has started already; I will write when the avatar is ready. The menu:",
    "session_done_gen": "These images are ordered already: they will arrive here. Want more? The menu:",
    "button_outdated": "This button is from an earlier conversation; carry on with the newest message below.",
}
