"""Which part of the balance flow an update is for."""

from __future__ import annotations

from aisha.bot.context import BotContext
from aisha.bot.flows.balance import payments, promo, views
from aisha.bot.menu import expired
from aisha.bot.routing import command_of


async def handle(ctx: BotContext) -> None:
    if ctx.update.pre_checkout_query is not None:
        await payments.pre_checkout(ctx)
        return
    message = ctx.update.message
    if message is not None and message.successful_payment is not None:
        await payments.paid(ctx)
        return
    if ctx.update.callback_query is not None:
        await _button(ctx, ctx.data.split(":"))
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


async def _button(ctx: BotContext, parts: list[str]) -> None:
    action = parts[1] if len(parts) > 1 else "show"
    argument = parts[2] if len(parts) > 2 else ""
    if action == "history":
        await views.show_history(ctx, int(argument) if argument.isdigit() else 0)
    elif action == "promo":
        await promo.ask(ctx, edit=True)
    elif action == "topup":
        promo.leave(ctx)
        await payments.offers(ctx, edit=True)
    elif action == "buy":
        await payments.send_invoice(ctx, int(argument) if argument.isdigit() else 0)
    else:  # show, and anything unknown from an older keyboard
        promo.leave(ctx)
        await views.show_balance(ctx, edit=True)

