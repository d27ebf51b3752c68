"""The questions before the photos: name, gender, training type, preset; then the draft is created."""

from __future__ import annotations

from aisha.bot.context import BotContext
from aisha.bot.flows.avatar import marker
from aisha.bot.flows.avatar.common import (
    FLOW,
    GENDER,
    KIND,
    MAX_PHOTOS,
    MIN_PHOTOS,
    NAME,
    PHOTOS,
    PRESET,
    cancel_row,
    duration,
    photo_count,
    uploadable_from_button,
)
from aisha.bot.flows.avatar.counter import counter_rows, counter_text
from aisha.callbacks import button_data
from aisha.images import MIN_SHORT_SIDE
from aisha.models import Gender, Preset, TrainingType
from aisha.services import avatars

MAX_NAME = 64


async def start(ctx: BotContext) -> None:
    """avatar:new or /avatar: a fresh conversation that asks for the name."""
    await ctx.answer_button()
    ctx.set_state(FLOW, NAME)
    await ctx.edit_or_reply(ctx.t("avatar_ask_name"), [cancel_row(ctx)])


async def name(ctx: BotContext) -> None:
    value = " ".join(ctx.text.split())
    if not 1 <= len(value) <= MAX_NAME:
        await ctx.reply(ctx.t("avatar_name_invalid", length=len(value)), [cancel_row(ctx)])
        return
    ctx.update_state(GENDER, name=value)
    rows = [[(ctx.t(f"avatar_gender_{g.value}"), button_data("avatar", "gender", g.value)) for g in Gender],
            cancel_row(ctx)]
    await ctx.reply(ctx.t("avatar_ask_gender", name=value), rows)


async def gender(ctx: BotContext, choice: str) -> None:
    if choice not in {g.value for g in Gender}:
        await ctx.answer_button(ctx.t("avatar_stale_button"))
        return
    await ctx.answer_button()
    ctx.update_state(KIND, gender=choice)
    rows = [[(ctx.t(f"avatar_type_{k.value}"), button_data("avatar", "type", k.value)) for k in TrainingType],
            cancel_row(ctx)]
    await ctx.edit_or_reply(ctx.t("avatar_ask_type"), rows)


async def kind(ctx: BotContext, choice: str) -> None:
    if choice not in {k.value for k in TrainingType}:
        await ctx.answer_button(ctx.t("avatar_stale_button"))
        return
    await ctx.answer_button()
    ctx.update_state(PRESET, training_type=choice)
    body = ctx.t("avatar_ask_preset", **{p.value: p.steps for p in Preset},
                 **{f"{p.value}_time": duration(ctx, p) for p in Preset})
    rows = [[(ctx.t(f"avatar_preset_{p.value}"), button_data("avatar", "preset", p.value))] for p in Preset]
    await ctx.edit_or_reply(body, [*rows, cancel_row(ctx)])


async def preset(ctx: BotContext, choice: str) -> None:
    """The last answer: the draft avatar is created and the photos are asked for."""
    assert ctx.state is not None
    data = ctx.state.data
    if choice not in {p.value for p in Preset} or not {"name", "gender", "training_type"} <= data.keys():
        await ctx.answer_button(ctx.t("avatar_stale_button"))
        return
    await ctx.answer_button()
    with ctx.worker.db.transaction() as conn:
        avatar = avatars.create(conn, ctx.user.id, data["name"], Gender(data["gender"]),
                                TrainingType(data["training_type"]), Preset(choice))
    ctx.update_state(PHOTOS, preset=choice, avatar_id=avatar.id)
    marker.remember(ctx, avatar.id)
    await ctx.edit_or_reply(ask_photos_text(ctx, avatar.name), [cancel_row(ctx)])


def ask_photos_text(ctx: BotContext, avatar_name: str) -> str:
    return ctx.t("avatar_ask_photos", name=avatar_name, min=MIN_PHOTOS, max=MAX_PHOTOS, side=MIN_SHORT_SIDE)


async def resume(ctx: BotContext, argument: str) -> None:
    """avatar:continue:<id> (from the gallery or the photo hint): back to the photos of a draft."""
    avatar = await uploadable_from_button(ctx, argument)
    if avatar is None:
        return
    await ctx.answer_button()
    ctx.set_state(FLOW, PHOTOS, avatar_id=avatar.id, name=avatar.name)
    marker.remember(ctx, avatar.id)
    count = photo_count(ctx, avatar.id)
    body = ask_photos_text(ctx, avatar.name) + "\n\n" + counter_text(ctx, count)
    await ctx.edit_or_reply(body, counter_rows(ctx, count, avatar.id))
