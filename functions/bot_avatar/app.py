"""Bot handler function: avatar creation (aisha/bot/flows/avatar/)."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.bot.flows import avatar
    from aisha.handlers.bot import bot_handler

    handler = bot_handler(avatar.handle)
