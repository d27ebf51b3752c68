"""Which part of the balance flow an update is for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aisha.bot.context import BotContext
from aisha.bot.flows.balance import payments, promo, views
from aisha.bot.menu import expired
from aisha.bot.routing import command_of
from aisha.callbacks import Callback


async def handle(ctx: BotContext) -> None:
    if ctx.update.pre_checkout_query is not None:
        await payments.pre_checkout(ctx)
        return
    message = ctx.update.message
    if message is not None and message.successful_payment is not None:
        await payments.paid(ctx)
        return
    if ctx.update.callback_query is not None:
        await _button(ctx, ctx.callback)
        return
    command = command_of(ctx.text)
    if command == "promo":
        code = ctx.text.split(maxsplit=1)[1:]
        await (promo.redeem(ctx, code[0]) if code else promo.ask(ctx))
    elif command == "topup":
        promo.leave(ctx)
        await payments.offers(ctx)
    elif command is not None:  # /balance
        promo.leave(ctx)
        await views.show_balance(ctx)
    elif ctx.state is not None and ctx.state.flow == promo.FLOW and ctx.state.step == promo.STEP:
        await promo.redeem(ctx, ctx.text)
    else:  # free text for a balance conversation that expired on the way here
        await expired(ctx)


async def _topup(ctx: BotContext, _: Callback) -> None:
    promo.leave(ctx)
    await payments.offers(ctx, edit=True)


async def _show(ctx: BotContext, _: Callback) -> None:
    promo.leave(ctx)
    await views.show_balance(ctx, edit=True)


Button = Callable[[BotContext, Callback], Awaitable[None]]
_BUTTONS: dict[str, Button] = {  # balance:<action>[:<argument>]
    "history": lambda ctx, pressed: views.show_history(ctx, pressed.number or 0),
    "promo": lambda ctx, _: promo.ask(ctx, edit=True),
    "topup": _topup,
    "buy": lambda ctx, pressed: payments.send_invoice(ctx, pressed.number or 0),
    "show": _show,
}


async def _button(ctx: BotContext, pressed: Callback) -> None:
    # anything unknown, from an older keyboard, shows the balance
    await _BUTTONS.get(pressed.action, _show)(ctx, pressed)

