"""bot_avatar: what reaches it (avatar:* buttons, /avatar, photos and files, text in the avatar
conversation) and which step answers."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from telegram.error import TelegramError

from aisha.bot.context import BotContext
from aisha.bot.flows.avatar import review, setup, status, upload
from aisha.bot.flows.avatar.common import (
    GENDER,
    KIND,
    NAME,
    PHOTOS,
    PRESET,
    REVIEW,
    answer_closed,
    avatar_id_of,
    in_flow,
    in_step,
)
from aisha.bot.menu import expired, show_menu
from aisha.bot.routing import command_of
from aisha.errors import NotFound

Press = Callable[[BotContext, str], Awaitable[None]]  # (context, the button's argument)

# buttons that need no conversation: they start one, or show or reopen an avatar by its id
_OPENERS: dict[str, Press] = {
    "new": lambda ctx, _: setup.start(ctx),
    "status": status.show,
    "continue": setup.resume,
}
# buttons of a running conversation: action -> (the steps it answers, what it does)
_STEPS: dict[str, tuple[tuple[str, ...], Press]] = {
    "gender": ((GENDER,), setup.gender),
    "type": ((KIND,), setup.kind),
    "preset": ((PRESET,), setup.preset),
    "review": ((PHOTOS, REVIEW), lambda ctx, _: review.review(ctx)),
    "more": ((REVIEW,), lambda ctx, _: review.more(ctx)),
    "confirm": ((REVIEW,), review.confirm),
}


async def handle(ctx: BotContext) -> None:
    message = ctx.update.message
    if ctx.data:
        await _button(ctx)
    elif message is not None and (message.photo or message.document):
        await upload.receive(ctx)
    elif command_of(ctx.text) in ("avatar", "newavatar"):
        await setup.start(ctx)
    elif in_step(ctx, NAME):
        await setup.name(ctx)
    elif in_step(ctx, PHOTOS, REVIEW):
        await ctx.reply(ctx.t("avatar_send_photos"))
    elif in_flow(ctx):
        await ctx.reply(ctx.t("avatar_use_buttons"))
    else:  # text routed here by a state that expired between routing and now
        await expired(ctx)


async def _button(ctx: BotContext) -> None:
    try:
        await _press(ctx)
    except NotFound:  # the avatar of this conversation was deleted meanwhile (from the gallery)
        ctx.clear_state()
        with contextlib.suppress(TelegramError):  # it may have been answered before the avatar was missed
            await ctx.answer_button()
        await show_menu(ctx, prefix=ctx.t("avatar_not_found"))


async def _press(ctx: BotContext) -> None:
    pressed = ctx.callback
    action, argument = pressed.action, pressed.argument
    if (opener := _OPENERS.get(action)) is not None:
        await opener(ctx, argument)
    elif action == "review" and argument and avatar_id_of(ctx) != pressed.number:
        await review.reopen(ctx, argument)  # its conversation is gone or moved on to another avatar
    elif action == "confirm" and not in_flow(ctx) and (submitted := review.already_submitted(ctx, argument)):
        await answer_closed(ctx, submitted)  # a second tap on "Start training"
    elif not in_flow(ctx):
        await expired(ctx)  # a button of a conversation whose state is gone
    elif action == "cancel":
        await review.cancel(ctx)
    elif (step := _STEPS.get(action)) is None or not in_step(ctx, *step[0]):
        await ctx.answer_button(ctx.t("avatar_stale_button"))
    else:
        await step[1](ctx, argument)
