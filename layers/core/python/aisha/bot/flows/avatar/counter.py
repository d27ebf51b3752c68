"""The live photo counter: "N of 10–20", what is missing, the refusals, and its buttons."""

from __future__ import annotations

from aisha.bot.context import BotContext, Keyboard
from aisha.bot.flows.avatar.common import MAX_PHOTOS, MIN_PHOTOS, cancel_row
from aisha.callbacks import button_data


def counter_text(ctx: BotContext, count: int, refusals: list[str] | None = None) -> str:
    lines = [ctx.t("avatar_counter", count=count, min=MIN_PHOTOS, max=MAX_PHOTOS)]
    if count < MIN_PHOTOS:
        lines.append(ctx.t("avatar_counter_more", missing=MIN_PHOTOS - count))
    elif count < MAX_PHOTOS:
        lines.append(ctx.t("avatar_counter_enough", left=MAX_PHOTOS - count))
    else:
        lines.append(ctx.t("avatar_counter_full"))
    if refusals and len(refusals) == 1:
        lines.append(ctx.t("avatar_refused", reason=refusals[0]))
    elif refusals:
        lines.append(ctx.t("avatar_refused_album", count=len(refusals)))
        lines.extend(f"• {reason}" for reason in refusals)
    return "\n".join(lines)


def counter_rows(ctx: BotContext, count: int, avatar_id: int) -> Keyboard:
    if count >= MIN_PHOTOS:
        return [[(ctx.t("avatar_button_review"), button_data("avatar", "review", avatar_id))], cancel_row(ctx)]
    return [cancel_row(ctx)]
