"""bot_gallery: the user's avatars (avatars.py) and generated images (images.py), dispatched by flow.py."""

from aisha.bot.flows.gallery.flow import handle

__all__ = ["handle"]
