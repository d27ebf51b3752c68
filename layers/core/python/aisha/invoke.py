"""Invocation of another function through the Lambda Invoke API (`Event` or `RequestResponse`).

`POST /2015-03-31/functions/{name}/invocations`, signed with SigV4, to the runner on-prem
(LAMBDA_ENDPOINT_URL) or to AWS Lambda itself (`lambda.<region>.amazonaws.com`), so an `Event` is
Lambda's own durable asynchronous invoke in both places. Standard library only (http.client and
aisha.sigv4): boto3 would cost each webhook ~300 modules and ~300 ms at start for this one request.
Credentials come from the environment, where Lambda puts the execution role's.

An `Event` call keeps its connection open for the next one (a webhook hands off once per delivery: on AWS
that spares a TLS handshake each time), but not past `KEEP_IDLE_SECONDS` idle, well inside the idle timeout
of the runner (75 s) and of nginx; a kept connection the server closed anyway fails at once, and the call
goes again on a fresh one (an Event is safe to send twice: the queued work is idempotent). A
`RequestResponse` call runs a function, so it is never sent twice and always opens its own connection.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from aisha.config import Settings
from aisha.errors import InvokeError
from aisha.sigv4 import Credentials, sign

_RETRYABLE = {429, 500, 502, 503, 504}
KEEP_IDLE_SECONDS = 15.0
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
        self._kept: tuple[http.client.HTTPConnection, float] | None = None  # (connection, when last used)
        self._lock = threading.Lock()

    def _connection(self, read_timeout: float, *, reuse: bool) -> tuple[http.client.HTTPConnection, bool]:
        """(a connection, whether it was kept from an earlier call)."""
        kept = None
        if reuse:
            with self._lock:
                kept, self._kept = self._kept, None
        if kept is not None:
            conn, last_used = kept
            if time.monotonic() - last_used < KEEP_IDLE_SECONDS and conn.sock is not None:
                conn.sock.settimeout(read_timeout)
                return conn, True
            conn.close()
        # connect within 2 s (as the boto3 client did); `read_timeout` bounds the wait for the answer
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, timeout=2.0)
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(read_timeout)
        return conn, False

    def close(self) -> None:
        """Close the connection kept for the next Event call, if any."""
        with self._lock:
            kept, self._kept = self._kept, None
        if kept is not None:
            kept[0].close()

    def _keep(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            previous, self._kept = self._kept, (conn, time.monotonic())
        if previous is not None:
            previous[0].close()

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
        keep = kind == "Event"
        failure = ""
        tries = 0
        while tries < attempts:
            headers = {**extra, **sign("POST", self._host, path, body, service="lambda",
                                       region=self._settings.s3_region, credentials=credentials,
                                       now=self._clock(), headers=extra)}
            reused = False
            try:
                conn, reused = self._connection(read_timeout, reuse=keep)
                try:
                    conn.request("POST", quote(path, safe="/-_.~"), body=body, headers=headers)
                    response = conn.getresponse()
                    answer = response.read()
                except BaseException:
                    conn.close()
                    raise
                if keep and not response.will_close:
                    self._keep(conn)
                else:
                    conn.close()
            except OSError as exc:  # refused, reset, timed out (socket.timeout is an OSError)
                failure = f"{exc.__class__.__name__}: {exc}"
                if not reused:  # a kept connection the server had closed is not a try: go again on a new one
                    tries += 1
                continue
            tries += 1
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
