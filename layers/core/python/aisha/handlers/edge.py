"""The one place an error becomes an HTTP answer: its status, its stable code, Retry-After if any.

Services raise the typed errors of aisha/errors.py and know nothing of HTTP; the HTTP handlers
catch AishaError at their edge and answer with `error_response`. The body carries the code twice:
as `error` (the functions' own key) and as `code`, the key nginx's and the runner's error bodies use,
so a caller reads `code` and `message` from every error answer whichever layer made it.
"""

from __future__ import annotations

import math
from typing import Any

from aisha.errors import AishaError, UpstreamError
from aisha.handlers.apigw import json_response


def error_response(exc: AishaError) -> dict[str, Any]:
    headers: dict[str, str] = {}
    if isinstance(exc, UpstreamError) and exc.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    return json_response(exc.status, {**exc.to_dict(), "code": exc.code}, headers)
