"""avatar:status:<id>: where the training stands (our record, and FAL's queue while it trains)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aisha.bot.context import BotContext
from aisha.bot.flows.avatar.common import duration, status_label
from aisha.callbacks import button_data
from aisha.errors import AishaError, NotFound
from aisha.models import Avatar, AvatarStatus
from aisha.services import avatars

log = logging.getLogger(__name__)


async def show(ctx: BotContext, argument: str) -> None:
    try:
        with ctx.worker.db.transaction() as conn:
            avatar = avatars.get(conn, int(argument), user_id=ctx.user.id)
    except (ValueError, NotFound):
        await ctx.answer_button(ctx.t("avatar_not_found"))
        return
    await ctx.answer_button()
    lines = [ctx.t("avatar_status", name=avatar.name, status=status_label(ctx, avatar.status))]
    if avatar.status is AvatarStatus.TRAINING:
        lines.extend(_training_lines(ctx, avatar))
    elif avatar.status is AvatarStatus.ERROR and avatar.error:
        lines.append(ctx.t("avatar_status_error", reason=avatar.error))
    rows = [[(ctx.t("button_menu"), button_data("menu", "show"))]]
    if avatar.status is AvatarStatus.TRAINING:
        rows.insert(0, [(ctx.t("avatar_button_refresh"), button_data("avatar", "status", avatar.id))])
    await ctx.edit_or_reply("\n".join(lines), rows)  # Refresh with nothing new changes nothing


def _training_lines(ctx: BotContext, avatar: Avatar) -> list[str]:
    lines: list[str] = []
    queued = False
    if avatar.fal_model and avatar.fal_request_id:
        try:
            status = ctx.worker.fal.status(avatar.fal_model, avatar.fal_request_id)
            if status.state == "IN_QUEUE":
                queued = True
                lines.append(ctx.t("avatar_status_queue", position=(status.position or 0) + 1))
        except AishaError as exc:  # FAL unreachable: our own record still answers
            log.warning("FAL status failed: %s", exc, extra={"avatar_id": avatar.id})
    if not queued and avatar.training_started_at is not None:
        elapsed = int((datetime.now(UTC) - avatar.training_started_at).total_seconds() // 60)
        lines.append(ctx.t("avatar_status_running", elapsed=elapsed, duration=duration(ctx, avatar.preset)))
    if avatar.progress:
        lines.append(ctx.t("avatar_status_progress", progress=avatar.progress))
    return lines
