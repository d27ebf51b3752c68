"""Bot handler function: the start flow (aisha/bot/flows/start.py)."""

from aisha.bot.flows import start
from aisha.handlers.bot import bot_handler

handler = bot_handler(start.handle)
