"""Settings of one Telegram stand-in instance: the bot it pretends to be and its timings."""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass, field

from .errors import ConfigurationError

_TOKEN_RE = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{10,}$")
MB = 1024 * 1024


def generate_token() -> str:
    """A token shaped like Telegram's (``<bot id>:<35 chars>``), random for each call."""
    return f"{secrets.randbelow(9 * 10**9) + 10**9}:AA{secrets.token_urlsafe(26)[:33]}"


@dataclass(frozen=True)
class SandboxConfig:
    """Everything one instance needs; times are in seconds and multiplied by ``time_scale``.

    ``time_scale`` compresses Telegram's clock (retry backoff, the maximum age of an undelivered update)
    so tests run fast: ``0.01`` makes a 1 s backoff 10 ms. Deadlines the bot must meet (``delivery_timeout``
    for a webhook answer, ``pre_checkout_timeout`` for answerPreCheckoutQuery) stay in real seconds.
    """

    token: str = field(default_factory=generate_token)
    bot_username: str = "aisha_sandbox_bot"
    bot_first_name: str = "Aisha (sandbox)"
    host: str = "127.0.0.1"
    port: int = 0
    time_scale: float = 1.0
    retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0)
    max_update_age: float = 24 * 3600.0
    delivery_timeout: float = 10.0
    default_max_connections: int = 40
    pre_checkout_timeout: float = 10.0
    max_download_size: int = 20 * MB
    max_upload_size: int = 50 * MB
    max_photo_upload_size: int = 10 * MB
    allow_remote_urls: bool = False

    def __post_init__(self) -> None:
        if not _TOKEN_RE.match(self.token):
            raise ConfigurationError("token must look like '<digits>:<at least 10 of A-Za-z0-9_->'")
        if not is_loopback(self.host):
            raise ConfigurationError("the stand-in listens on loopback only (its admin API has no authentication)")
        if self.time_scale <= 0:
            raise ConfigurationError("time_scale must be positive")

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale

    def retry_delay(self, attempt: int) -> float:
        """Delay after the ``attempt``-th failed delivery (1-based), already scaled."""
        delays = self.retry_delays or (1.0,)
        return self.scaled(delays[min(attempt, len(delays)) - 1])


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
