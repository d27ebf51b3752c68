"""What the avatar flow's steps share: the flow's name and steps, the avatar of the conversation."""

from __future__ import annotations

from aisha.bot.context import BotContext, Keyboard
from aisha.callbacks import button_data
from aisha.errors import NotFound
from aisha.models import Avatar, AvatarStatus, Preset
from aisha.services import avatars, photos

FLOW = "avatar"
NAME, GENDER, KIND, PRESET, PHOTOS, REVIEW = "name", "gender", "type", "preset", "photos", "review"
UPLOAD_STEPS = (PHOTOS, REVIEW)
UPLOADABLE = frozenset({AvatarStatus.DRAFT, AvatarStatus.PHOTOS_UPLOADING, AvatarStatus.READY_FOR_TRAINING})
MIN_PHOTOS, MAX_PHOTOS = photos.MIN_PHOTOS, photos.MAX_PHOTOS


def in_flow(ctx: BotContext) -> bool:
    return ctx.state is not None and ctx.state.flow == FLOW


def in_step(ctx: BotContext, *steps: str) -> bool:
    return ctx.state is not None and ctx.state.flow == FLOW and ctx.state.step in steps


def avatar_id_of(ctx: BotContext) -> int | None:
    if not in_flow(ctx):
        return None
    assert ctx.state is not None
    value = ctx.state.data.get("avatar_id")
    return int(value) if value is not None else None


def load_avatar(ctx: BotContext, avatar_id: int) -> Avatar:
    with ctx.worker.db.transaction() as conn:
        return avatars.get(conn, avatar_id, user_id=ctx.user.id)


async def uploadable_from_button(ctx: BotContext, argument: str) -> Avatar | None:
    """The user's avatar named by a button (`avatar:<action>:<id>`) if it still takes photos; otherwise
    the button is answered with why and None is returned."""
    try:
        avatar = load_avatar(ctx, int(argument))
    except (ValueError, NotFound):
        await ctx.answer_button(ctx.t("avatar_not_found"))
        return None
    if avatar.status not in UPLOADABLE:
        await answer_closed(ctx, avatar)
        return None
    return avatar


async def answer_closed(ctx: BotContext, avatar: Avatar) -> None:
    """A button of an avatar that takes no more photos (an old album counter, a second "Start training"):
    what became of it and what to do now, at the bottom of the chat."""
    await ctx.answer_button()
    rows: Keyboard = []
    if avatar.status is AvatarStatus.TRAINING:
        rows.append([(ctx.t("avatar_button_status"), button_data("avatar", "status", avatar.id))])
    elif avatar.status is AvatarStatus.COMPLETED:
        rows.append([(ctx.t("button_generate"), button_data("generate", str(avatar.id)))])
    else:  # cancelled, or the training failed
        rows.append([(ctx.t("avatar_button_new"), button_data("avatar", "new"))])
    rows.append([(ctx.t("button_menu"), button_data("menu", "show"))])
    await ctx.reply(ctx.t(f"avatar_closed_{avatar.status.value}", name=avatar.name), rows)


def photo_count(ctx: BotContext, avatar_id: int) -> int:
    with ctx.worker.db.transaction() as conn:
        return len(photos.list_photos(conn, avatar_id))


def duration(ctx: BotContext, preset: Preset) -> str:
    return ctx.t(f"avatar_duration_{preset.value}")


def status_label(ctx: BotContext, status: AvatarStatus) -> str:
    return ctx.t(f"avatar_state_{status.value}")


def cancel_row(ctx: BotContext) -> list[tuple[str, str]]:
    return [(ctx.t("button_cancel"), button_data("avatar", "cancel"))]
