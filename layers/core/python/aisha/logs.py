"""JSON-lines logging with the request id, and secrets scrubbed from every line.

The secrets (`secret_values`): the secret settings, the passwords inside DATABASE_URL and REDIS_URL,
and the AWS secret access key and session token boto3 reads from the environment; each is masked as
written, percent-decoded (a URL's password) and JSON-escaped (as it appears inside a log line).

Pass the request id per call (`extra={"request_id": ...}`) or bind it with `bind()`: it is
per-request state and never lives on a global.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Iterable, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from aisha.config import Settings

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
REDACTED = "***"
MIN_SECRET_LENGTH = 4  # a shorter value would blank out ordinary words; it is no secret anyway
AWS_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def _url_password(url: str) -> list[str]:
    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [password, unquote(password)] if password else []


def secret_values(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every value that must never appear in a log line."""
    environ = os.environ if environ is None else environ
    values = [*settings.secret_values(), *_url_password(settings.database_url), *_url_password(settings.redis_url),
              *(environ.get(name, "") for name in AWS_SECRETS)]
    return list(dict.fromkeys(v for v in values if v))


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        forms = {form for s in secrets if len(s) >= MIN_SECRET_LENGTH
                 for form in (s, json.dumps(s, ensure_ascii=False)[1:-1], json.dumps(s)[1:-1])}
        self._secrets = sorted(forms, key=len, reverse=True)  # longest first: no partial masks left behind

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        line = json.dumps(entry, default=str, ensure_ascii=False)
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        return line


def configure_logging(level: str = "INFO", secrets: Iterable[str] = (), stream: Any = None) -> None:
    """Send every log record of the process as one JSON line to stdout (CloudWatch's view)."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


class _Bound(logging.LoggerAdapter):
    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs


def bind(logger: logging.Logger, **fields: Any) -> logging.LoggerAdapter:
    """A logger that adds `fields` (request_id, update_id, ...) to every line."""
    return _Bound(logger, fields)
