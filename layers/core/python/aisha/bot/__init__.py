"""The Telegram bot: routing of updates to handler functions, conversation state, the flows."""
