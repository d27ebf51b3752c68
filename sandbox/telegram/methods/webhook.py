"""setWebhook, deleteWebhook, getWebhookInfo and getUpdates."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..api import Described
from ..delivery import ALL_UPDATE_KINDS
from ..errors import bad_request
from ..params import Params
from .common import table

if TYPE_CHECKING:
    from ..core import SandboxCore

_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _allowed_updates(params: Params) -> list[str] | None:
    allowed = params.get_json("allowed_updates")
    if allowed is None:
        return None
    if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
        raise bad_request("can't parse allowed updates JSON object")
    return [kind for kind in allowed if kind in ALL_UPDATE_KINDS]


async def set_webhook(core: SandboxCore, params: Params) -> Any:
    url = params.get_str("url") or ""
    drop = params.get_bool("drop_pending_updates")
    if not url:
        core.dispatcher.delete_webhook(drop)
        return Described(True, "Webhook was deleted")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get_str("secret_token")
    if secret is not None and not _SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = params.get_int("max_connections") or core.config.default_max_connections
    max_connections = min(max(max_connections, 1), 100)
    unchanged = core.dispatcher.webhook is not None and core.dispatcher.webhook.url == url
    core.dispatcher.set_webhook(url, secret, max_connections, _allowed_updates(params), drop)
    return Described(True, "Webhook is already set" if unchanged else "Webhook was set")


async def delete_webhook(core: SandboxCore, params: Params) -> Any:
    existed = core.dispatcher.delete_webhook(params.get_bool("drop_pending_updates"))
    return Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")


async def get_webhook_info(core: SandboxCore, params: Params) -> Any:
    return core.dispatcher.info()


async def get_updates(core: SandboxCore, params: Params) -> Any:
    limit = params.get_int("limit") or 100
    timeout = float(params.get_int("timeout") or 0)
    return await core.dispatcher.get_updates(params.get_int("offset"), limit, timeout, _allowed_updates(params))


METHODS = table(("setWebhook", set_webhook), ("deleteWebhook", delete_webhook),
                ("getWebhookInfo", get_webhook_info), ("getUpdates", get_updates))
