"""bot_generate: avatar -> prompt or style preset -> aspect ratio -> count -> price and confirm -> submit.

State: flow "gen", steps avatar, prompt, size, count, confirm; data avatar_id, prompt, size, count.
"""

from __future__ import annotations

from aisha.bot import menu
from aisha.bot.context import BotContext, Keyboard
from aisha.bot.flows.generate.checkout import MAX_IMAGES, SIZES, Order, submit, summary
from aisha.bot.routing import command_of
from aisha.callbacks import Callback, button_data
from aisha.errors import NotFound
from aisha.models import Avatar, AvatarStatus
from aisha.models.enums import STYLE_PROMPTS
from aisha.services import avatars
from aisha.texts import shown_prompt

FLOW = "gen"
STYLES = tuple(STYLE_PROMPTS)
_NEEDS = {"style": "avatar_id", "size": "prompt", "count": "size", "confirm": "count"}  # action -> set before


async def handle(ctx: BotContext) -> None:
    data, pressed = ctx.data, ctx.callback
    if pressed.flow == "generate":  # the "avatar ready" notification's button: generate:<avatar id>
        await ctx.answer_button()
        ctx.set_state(FLOW, "avatar")
        await _pick_avatar(ctx, pressed.action)
        return
    if pressed == Callback(FLOW, "new") or command_of(ctx.text) in ("generate", "imagine"):
        await ctx.answer_button()
        words = ctx.text.split(maxsplit=1)  # `/imagine a cat on the moon` brings its prompt along
        await _choose_avatar(ctx, prompt=words[1] if not data and len(words) > 1 else None)
        return
    if data:
        await _button(ctx, pressed)
        return
    if ctx.state is None or ctx.state.flow != FLOW:
        await menu.expired(ctx)
    elif ctx.state.step == "prompt":
        await _take_prompt(ctx, ctx.text)
    else:
        await ctx.reply(ctx.t("gen_use_buttons"))


async def _button(ctx: BotContext, pressed: Callback) -> None:
    action, arg = pressed.action, pressed.argument
    state = ctx.state
    if state is None or state.flow != FLOW or (action in _NEEDS and _NEEDS[action] not in state.data):
        await menu.expired(ctx)
        return
    if action == "avatar":
        await ctx.answer_button()
        await _pick_avatar(ctx, arg)
    elif action == "style" and arg in STYLES:
        await ctx.answer_button()
        await _set_prompt(ctx, STYLE_PROMPTS[arg])  # FAL gets the English prompt; the user reads theirs
    elif action == "size" and arg in SIZES:
        await ctx.answer_button()
        ctx.update_state("count", size=arg)
        rows: Keyboard = [[(str(n), button_data("gen", "count", n)) for n in range(1, MAX_IMAGES + 1)], _cancel(ctx)]
        await ctx.edit_or_reply(ctx.t("gen_choose_count", price=ctx.worker.settings.price_image), rows)
    elif action == "count" and arg.isdigit() and 1 <= int(arg) <= MAX_IMAGES:
        await ctx.answer_button()
        ctx.update_state("confirm", count=int(arg))
        try:
            body, rows = summary(ctx, _order(ctx), button_data("gen", "confirm"))
        except NotFound:  # the avatar was deleted meanwhile
            await _choose_avatar(ctx, ctx.t("gen_avatar_unavailable"))
            return
        await ctx.edit_or_reply(body, rows)
    elif action == "confirm" and state.step == "confirm":
        await submit(ctx, _order(ctx))
    else:
        await ctx.answer_button()


def _order(ctx: BotContext) -> Order:
    assert ctx.state is not None
    d = ctx.state.data
    return Order(prompt=str(d["prompt"]), avatar_id=d.get("avatar_id"), image_size=str(d.get("size", SIZES[0])),
                 count=int(d.get("count", 1)))


def _cancel(ctx: BotContext) -> list[tuple[str, str]]:
    return [(ctx.t("button_cancel"), button_data("cancel", "gen"))]


def _ready(ctx: BotContext) -> list[Avatar]:
    with ctx.worker.db.transaction() as conn:
        found = [a for a in avatars.list_for_user(conn, ctx.user.id) if a.status is AvatarStatus.COMPLETED]
    return sorted(found, key=lambda a: (not a.is_main, -a.id))


async def _choose_avatar(ctx: BotContext, notice: str | None = None, *, prompt: str | None = None) -> None:
    ready = _ready(ctx)
    limit = ctx.worker.settings.max_prompt_length
    if prompt and len(prompt) > limit:
        await ctx.reply(ctx.t("gen_prompt_too_long", length=len(prompt), limit=limit))
        prompt = None
    ctx.set_state(FLOW, "avatar", **({"pending_prompt": prompt} if prompt else {}))
    rows: Keyboard = [[(ctx.t("gen_avatar_main", name=a.name) if a.is_main else a.name, button_data("gen", "avatar",
                                                                                                    a.id))]
                      for a in ready]
    rows.append([(ctx.t("gen_without_avatar"), button_data("gen", "avatar", "none"))])
    if not ready:
        rows.append([(ctx.t("menu_avatar"), button_data("avatar", "new"))])
    rows.append(_cancel(ctx))
    body = ctx.t("gen_choose_avatar" if ready else "gen_choose_avatar_none_ready")
    await ctx.edit_or_reply(f"{notice}\n\n{body}" if notice else body, rows)


async def _pick_avatar(ctx: BotContext, arg: str) -> None:
    avatar: Avatar | None = None
    if arg != "none":
        try:
            with ctx.worker.db.transaction() as conn:
                avatar = avatars.get(conn, int(arg), user_id=ctx.user.id)
        except (NotFound, ValueError):
            avatar = None
        if avatar is None or avatar.status is not AvatarStatus.COMPLETED:
            await _choose_avatar(ctx, ctx.t("gen_avatar_unavailable"))
            return
    pending = ctx.state.data.get("pending_prompt") if ctx.state else None
    ctx.set_state(FLOW, "prompt", avatar_id=avatar.id if avatar else None)  # earlier choices start over
    if pending:
        await _set_prompt(ctx, str(pending))
        return
    label = avatar.name if avatar else ctx.t("gen_no_avatar_label")
    styles = [(ctx.t(f"gen_style_{name}"), button_data("gen", "style", name)) for name in STYLES]
    rows: Keyboard = [styles[i:i + 2] for i in range(0, len(styles), 2)] + [_cancel(ctx)]
    await ctx.edit_or_reply(ctx.t("gen_ask_prompt", avatar=label, limit=ctx.worker.settings.max_prompt_length),
                            rows)


async def _take_prompt(ctx: BotContext, prompt: str) -> None:
    limit = ctx.worker.settings.max_prompt_length
    if not prompt:
        await ctx.reply(ctx.t("gen_prompt_empty"))
    elif len(prompt) > limit:
        await ctx.reply(ctx.t("gen_prompt_too_long", length=len(prompt), limit=limit))
    else:
        await _set_prompt(ctx, prompt)


async def _set_prompt(ctx: BotContext, prompt: str) -> None:
    ctx.update_state("size", prompt=prompt)
    sizes = [(ctx.t(f"gen_size_{size}"), button_data("gen", "size", size)) for size in SIZES]
    rows: Keyboard = [sizes[:1], sizes[1:3], sizes[3:], _cancel(ctx)]
    await ctx.edit_or_reply(ctx.t("gen_choose_size", prompt=shown_prompt(ctx.lang, prompt)), rows)
