"""Invocation of another function through the Lambda Invoke API (`Event` or `RequestResponse`).

`POST /2015-03-31/functions/{name}/invocations`, signed with SigV4, to the runner on-prem
(LAMBDA_ENDPOINT_URL) or to AWS Lambda itself (`lambda.<region>.amazonaws.com`), so an `Event` is
Lambda's own durable asynchronous invoke in both places. Standard library only (http.client and
aisha.sigv4): boto3 would cost each webhook ~300 modules and ~300 ms at start for this one request.
Credentials come from the environment, where Lambda puts the execution role's.
"""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from aisha.config import Settings
from aisha.errors import InvokeError
from aisha.sigv4 import Credentials, sign

_RETRYABLE = {429, 500, 502, 503, 504}
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FunctionInvoker:
    def __init__(self, settings: Settings, *, environ: Mapping[str, str] | None = None,
                 clock: Clock = _utcnow) -> None:
        self._settings = settings
        self._environ = os.environ if environ is None else environ
        self._clock = clock
        endpoint = settings.lambda_endpoint_url or f"https://lambda.{settings.s3_region}.amazonaws.com"
        parts = urlsplit(endpoint)
        self._https = parts.scheme == "https"
        self._host = parts.netloc
        self._base_path = parts.path.rstrip("/")

    def _connection(self, read_timeout: float) -> http.client.HTTPConnection:
        # connect within 2 s (as the boto3 client did); `read_timeout` bounds the wait for the answer
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, timeout=2.0)
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(read_timeout)
        return conn

    def _invoke(self, function: str, kind: str, payload: dict[str, Any], *, read_timeout: float,
                attempts: int) -> tuple[int, dict[str, str], bytes]:
        name = self._settings.function_name_prefix + function
        credentials = Credentials.from_env(self._environ)
        if credentials is None:
            raise InvokeError(f"cannot invoke {name} ({kind}): no AWS credentials in the environment",
                              retryable=False)
        path = f"{self._base_path}/2015-03-31/functions/{name}/invocations"
        body = json.dumps(payload).encode()
        extra = {"X-Amz-Invocation-Type": kind, "Content-Type": "application/json"}
        failure = ""
        for _ in range(attempts):
            headers = {**extra, **sign("POST", self._host, path, body, service="lambda",
                                       region=self._settings.s3_region, credentials=credentials,
                                       now=self._clock(), headers=extra)}
            try:
                conn = self._connection(read_timeout)
                try:
                    conn.request("POST", quote(path, safe="/-_.~"), body=body, headers=headers)
                    response = conn.getresponse()
                    answer = response.read()
                finally:
                    conn.close()
            except OSError as exc:  # refused, reset, timed out (socket.timeout is an OSError)
                failure = f"{exc.__class__.__name__}: {exc}"
                continue
            if response.status < 300:
                return response.status, {k.lower(): v for k, v in response.getheaders()}, answer
            failure = f"status {response.status}: {answer[:300].decode(errors='replace')}"
            if response.status not in _RETRYABLE:
                break
        raise InvokeError(f"cannot invoke {name} ({kind}): {failure}")

    def invoke_event(self, function: str, payload: dict[str, Any]) -> None:
        """Queue `function` with `payload`; returns once the invocation is durably accepted (202)."""
        # queueing is quick, and a second try is safe: the queued work is idempotent
        status, _, _ = self._invoke(function, "Event", payload, read_timeout=5.0, attempts=2)
        if status != 202:
            raise InvokeError(f"cannot queue {function}: status {status}")

    def invoke_sync(self, function: str, payload: dict[str, Any]) -> tuple[Any, str | None]:
        """Run `function` and wait: (its answer, the function error type or None)."""
        # a handler may take as long as its own timeout, and running it twice is not ours to decide
        _, headers, raw = self._invoke(function, "RequestResponse", payload, read_timeout=120.0, attempts=1)
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = raw.decode(errors="replace")
        return answer, headers.get("x-amz-function-error")
