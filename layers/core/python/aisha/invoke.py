"""Asynchronous (`Event`) invocation of another function through the Lambda Invoke API.

boto3's Lambda client, pointed at the runner on-prem (LAMBDA_ENDPOINT_URL) or at AWS.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from aisha.config import Settings
from aisha.errors import UpstreamError


class InvokeError(UpstreamError):
    code = "invoke_failed"


class FunctionInvoker:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def _lambda(self, read_timeout: float, attempts: int) -> Any:
        return boto3.client(
            "lambda",
            endpoint_url=self._settings.lambda_endpoint_url,
            region_name=self._settings.s3_region,
            config=Config(connect_timeout=2, read_timeout=read_timeout,
                          retries={"max_attempts": attempts, "mode": "standard"}),
        )

    @cached_property
    def _event_client(self) -> Any:
        return self._lambda(read_timeout=5, attempts=2)  # queueing is quick; a retry is safe (idempotent work)

    @cached_property
    def _sync_client(self) -> Any:
        # a handler may take as long as its own timeout, and running it twice is not ours to decide
        return self._lambda(read_timeout=120, attempts=0)

    def _invoke(self, client: Any, function: str, kind: str, payload: dict[str, Any]) -> Any:
        name = self._settings.function_name_prefix + function
        try:
            return client.invoke(FunctionName=name, InvocationType=kind, Payload=json.dumps(payload).encode())
        except (BotoCoreError, ClientError) as exc:
            raise InvokeError(f"cannot invoke {name} ({kind}): {exc}") from exc

    def invoke_event(self, function: str, payload: dict[str, Any]) -> None:
        """Queue `function` with `payload`; returns once the invocation is durably accepted (202)."""
        response = self._invoke(self._event_client, function, "Event", payload)
        if response.get("StatusCode") != 202:
            raise InvokeError(f"cannot queue {function}: status {response.get('StatusCode')}")

    def invoke_sync(self, function: str, payload: dict[str, Any]) -> tuple[Any, str | None]:
        """Run `function` and wait: (its answer, the function error type or None)."""
        response = self._invoke(self._sync_client, function, "RequestResponse", payload)
        raw = response["Payload"].read()
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = raw.decode(errors="replace")
        return answer, response.get("FunctionError")
