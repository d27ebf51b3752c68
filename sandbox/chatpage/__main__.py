"""``python -m sandbox.chatpage --port 8081``: the Telegram stand-in with the chat page, on its own.

Takes the stand-in's options (``python -m sandbox.telegram --help``) and prints the page's URL; point the
bot at the printed ``TELEGRAM_API_BASE_URL`` and register its webhook to talk to it from the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence

from sandbox.telegram import serve
from sandbox.telegram.__main__ import parse_args

from .routes import add_chat_page


def announce(text: str) -> None:
    found = re.search(r"admin API: (\S+)/_sandbox", text)
    page = f"\n  chat page: {found.group(1)}/?chat=1001&name=Developer&lang=en" if found else ""
    print(text + page, flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    config = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(config, extra_routes=add_chat_page, announce=announce))


if __name__ == "__main__":
    main()
