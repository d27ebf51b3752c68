"""Bot handler function: the start flow (aisha/bot/flows/start.py)."""

from aisha.init_phase import init_phase

with init_phase():
    from aisha.bot.flows import start
    from aisha.handlers.bot import bot_handler
    from aisha.worker import warm_if_provisioned

    handler = bot_handler(start.handle)
    warm_if_provisioned("db", "redis", "bot")  # provisioned: its first invocation finds these ready
