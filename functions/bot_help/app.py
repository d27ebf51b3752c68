"""Bot handler function: the help flow (aisha/bot/flows/help.py)."""

from aisha.bot.flows import help
from aisha.handlers.bot import bot_handler

handler = bot_handler(help.handle)
