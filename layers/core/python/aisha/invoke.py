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

    @cached_property
    def _client(self) -> Any:
        return boto3.client(
            "lambda",
            endpoint_url=self._settings.lambda_endpoint_url,
            region_name=self._settings.s3_region,
            config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 2, "mode": "standard"}),
        )

    def invoke_event(self, function: str, payload: dict[str, Any]) -> None:
        """Queue `function` with `payload`; returns once the invocation is durably accepted (202)."""
        name = self._settings.function_name_prefix + function
        try:
            response = self._client.invoke(FunctionName=name, InvocationType="Event",
                                           Payload=json.dumps(payload).encode())
        except (BotoCoreError, ClientError) as exc:
            raise InvokeError(f"cannot queue {name}: {exc}") from exc
        if response.get("StatusCode") != 202:
            raise InvokeError(f"cannot queue {name}: status {response.get('StatusCode')}")

    def invoke_sync(self, function: str, payload: dict[str, Any]) -> tuple[Any, str | None]:
        """Run `function` and wait: (its answer, the function error type or None)."""
        name = self._settings.function_name_prefix + function
        try:
            response = self._sync_client.invoke(FunctionName=name, InvocationType="RequestResponse",
                                                Payload=json.dumps(payload).encode())
        except (BotoCoreError, ClientError) as exc:
            raise InvokeError(f"cannot invoke {name}: {exc}") from exc
        raw = response["Payload"].read()
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = raw.decode(errors="replace")
        return answer, response.get("FunctionError")

    @cached_property
    def _sync_client(self) -> Any:
        # a handler may take as long as its own timeout; the Event client's 5 s read timeout would cut it
        return boto3.client(
            "lambda",
            endpoint_url=self._settings.lambda_endpoint_url,
            region_name=self._settings.s3_region,
            config=Config(connect_timeout=2, read_timeout=120, retries={"max_attempts": 0}),
        )
