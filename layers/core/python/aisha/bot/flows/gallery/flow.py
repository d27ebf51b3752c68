"""bot_gallery: dispatch of the gallery's buttons, commands and the rename answer.

Buttons: `gallery:avatars:<page>`, `gallery:avatar|main|rename|adel|adel_ok:<avatar id>`,
`gallery:images:<page>`, `gallery:image|regen|regen_ok|gdel|gdel_ok:<generation id>`.
State: flow "gallery", step "rename" {avatar_id} or "regenerate" {generation_id}.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aisha.bot import menu
from aisha.bot.context import BotContext
from aisha.bot.flows.gallery import avatars, images
from aisha.bot.routing import command_of
from aisha.callbacks import Callback

Action = Callable[[BotContext, int], Awaitable[None]]
ACTIONS: dict[str, Action] = {
    "avatars": avatars.show_list, "avatar": avatars.show_card, "main": avatars.set_main,
    "rename": avatars.ask_name, "adel": avatars.ask_delete, "adel_ok": avatars.delete,
    "images": images.show_list, "image": images.view, "regen": images.ask_regenerate,
    "gdel": images.ask_delete, "gdel_ok": images.delete,
}


async def handle(ctx: BotContext) -> None:
    if ctx.data:
        await _button(ctx, ctx.callback)
        return
    command = command_of(ctx.text)
    if command == "images":
        ctx.clear_state()
        await images.show_list(ctx, 0)
    elif command is not None:  # /gallery, /avatars
        ctx.clear_state()
        await avatars.show_list(ctx, 0)
    elif ctx.state is None or ctx.state.flow != avatars.FLOW:
        await menu.expired(ctx)
    elif ctx.state.step == "rename" and "avatar_id" in ctx.state.data:
        await avatars.take_name(ctx, int(ctx.state.data["avatar_id"]), ctx.text)
    else:
        await ctx.reply(ctx.t("gal_use_buttons"))


async def _button(ctx: BotContext, pressed: Callback) -> None:
    action, target = pressed.action, pressed.number or 0
    if action == "regen_ok":
        state = ctx.state
        if state is None or state.flow != avatars.FLOW or state.data.get("generation_id") != target:
            await menu.expired(ctx)
            return
        await images.regenerate(ctx, target)  # answers the button itself
        return
    await ctx.answer_button()
    if (handler := ACTIONS.get(action)) is None:
        await avatars.show_list(ctx, 0)
        return
    if ctx.state is not None and ctx.state.flow == avatars.FLOW and action != "rename":
        ctx.clear_state()  # a button elsewhere in the gallery leaves a pending rename / regenerate
    await handler(ctx, target)
