"""Bot handler function: the generation flow (aisha/bot/flows/generate/)."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.bot.flows import generate
    from aisha.handlers.bot import bot_handler

    handler = bot_handler(generate.handle)
