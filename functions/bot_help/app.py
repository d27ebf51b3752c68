"""Bot handler function: the help flow (aisha/bot/flows/help.py)."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.bot.flows import help
    from aisha.handlers.bot import bot_handler

    handler = bot_handler(help.handle)
