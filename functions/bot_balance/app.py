"""Bot handler function: balance, history, promo codes, Stars top-ups (aisha/bot/flows/balance/)."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.bot.flows import balance
    from aisha.handlers.bot import bot_handler

    handler = bot_handler(balance.handle)
