"""bot_avatar: avatar creation from the name to the training (see entry.py for what reaches it)."""

from aisha.bot.flows.avatar.entry import handle

__all__ = ["handle"]
