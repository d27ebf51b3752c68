"""bot_generate: create images with an avatar or from text alone (flow.py), paid checkout (checkout.py)."""

from aisha.bot.flows.generate.checkout import SIZES, Order, submit, summary
from aisha.bot.flows.generate.flow import handle

__all__ = ["SIZES", "Order", "handle", "submit", "summary"]
