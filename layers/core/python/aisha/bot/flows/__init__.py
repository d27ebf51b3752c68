"""One module per bot function: each exposes `async def handle(ctx: BotContext) -> None`."""
