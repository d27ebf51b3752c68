"""bot_avatar: what reaches it (avatar:* buttons, /avatar, photos and files, text in the avatar
conversation) and which step answers."""

from __future__ import annotations

import contextlib

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
    avatar_id_of,
    in_flow,
    in_step,
)
from aisha.bot.menu import expired, show_menu
from aisha.bot.routing import command_of
from aisha.errors import NotFound

# button action -> the step it answers (its conversation must be at that step)
_STEP_OF = {"gender": (GENDER,), "type": (KIND,), "preset": (PRESET,), "review": (PHOTOS, REVIEW),
            "more": (REVIEW,), "confirm": (REVIEW,)}


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
    _, _, rest = ctx.data.partition(":")
    action, _, argument = rest.partition(":")
    if action == "new":
        await setup.start(ctx)
    elif action == "status":
        await status.show(ctx, argument)
    elif action == "continue":
        await setup.resume(ctx, argument)
    elif action == "review" and argument and avatar_id_of(ctx) != _number(argument):
        await review.reopen(ctx, argument)  # its conversation is gone or moved on to another avatar
    elif action == "confirm" and not in_flow(ctx) and review.already_submitted(ctx, argument):
        await ctx.answer_button(ctx.t("avatar_stale_button"))  # a second tap on "Start training"
    elif not in_flow(ctx):
        await expired(ctx)  # a button of a conversation whose state is gone
    elif action == "cancel":
        await review.cancel(ctx)
    elif action not in _STEP_OF or not in_step(ctx, *_STEP_OF[action]):
        await ctx.answer_button(ctx.t("avatar_stale_button"))
    elif action == "gender":
        await setup.gender(ctx, argument)
    elif action == "type":
        await setup.kind(ctx, argument)
    elif action == "preset":
        await setup.preset(ctx, argument)
    elif action == "review":
        await review.review(ctx)
    elif action == "more":
        await review.more(ctx)
    else:
        await review.confirm(ctx, argument)


def _number(argument: str) -> int | None:
    return int(argument) if argument.isdigit() else None
