"""A local stand-in for the Telegram Bot API: speaks the API to the bot, delivers simulated users' updates
to its webhook like Telegram, and keeps every chat, call and file for tests and the chat page."""

from .client import SandboxClient
from .config import SandboxConfig, generate_token
from .core import SandboxCore
from .errors import AdminError, BotApiError, ConfigurationError, SandboxError
from .runner import TelegramSandbox, serve
from .server import build_app

__all__ = ["AdminError", "BotApiError", "ConfigurationError", "SandboxClient", "SandboxConfig", "SandboxCore",
           "SandboxError", "TelegramSandbox", "build_app", "generate_token", "serve"]
