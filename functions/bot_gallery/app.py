"""Bot handler function: the gallery flow (aisha/bot/flows/gallery/)."""

from aisha.bot.flows import gallery
from aisha.handlers.bot import bot_handler

handler = bot_handler(gallery.handle)
