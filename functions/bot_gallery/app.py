"""Bot handler function: the gallery flow (aisha/bot/flows/gallery/)."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.bot.flows import gallery
    from aisha.handlers.bot import bot_handler

    handler = bot_handler(gallery.handle)
