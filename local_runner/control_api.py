"""Lambda's control plane, read-only and from the manifest: GetFunction, GetFunctionConfiguration, ListFunctions.

Shapes are the Lambda API's (boto3's lambda client parses them). Every other control-plane call (any path
under a Lambda API version such as `/2015-03-31/`) is refused with 501 `NotImplementedException` naming the
operation, looked up in botocore's own model of the Lambda API when botocore is installed.

Decision: `Environment` is left out of the configuration. The manifest's `${VAR}` references resolve to the
runner's own secrets, which must not leave the process through an HTTP API; the names are in chalice.json.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from local_runner import ids
from local_runner.apigw import HttpRequest, HttpResponse, error_response
from local_runner.invoke_api import client_error, function_name
from local_runner.manifest import Function
from local_runner.runner import Runner

LIST_PATH = "/2015-03-31/functions"
_FUNCTION = re.compile(r"^/2015-03-31/functions/([^/]+)(/configuration)?$")
SERVED = ("Invoke", "GetFunction", "GetFunctionConfiguration", "ListFunctions")
_API_PATH = re.compile(r"^/20\d\d-\d\d-\d\d/")


def _answer(body: dict[str, Any]) -> HttpResponse:
    return error_response(200, body, [("x-amzn-RequestId", ids.request_id())])


@functools.lru_cache(maxsize=8)
def _code_digest(folder: str) -> tuple[int, str]:
    """(bytes, base64 sha256) of a built function folder, as CodeSize and CodeSha256 (cached: builds are rare)."""
    import base64

    digest = hashlib.sha256()
    size = 0
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        data = path.read_bytes()
        size += len(data)
        digest.update(str(path.relative_to(root)).encode() + b"\0" + data)
    return size, base64.b64encode(digest.digest()).decode()


class ControlApi:
    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.manifest = runner.manifest
        self._started = time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())

    def route(self, request: HttpRequest) -> HttpResponse | None:
        """The answer to a GET of ListFunctions, GetFunction or GetFunctionConfiguration; None for any other path."""
        if request.path in (LIST_PATH, LIST_PATH + "/"):
            return self.list_functions(request)
        found = _FUNCTION.match(request.raw_path or request.path)
        if found is None:
            return None
        name = unquote(found.group(1))
        return self.get_configuration(request, name) if found.group(2) else self.get_function(request, name)

    def configuration(self, fn: Function) -> dict[str, Any]:
        config = self.runner.config
        folder = self.runner.builder.function_dir(fn.name)
        size, sha = _code_digest(str(folder)) if folder.is_dir() else (0, "")
        arn = self.runner.arn(fn.name)
        layer_arn = f"arn:aws:lambda:{config.region}:{config.account_id}:layer:{{}}:1"
        return {
            "FunctionName": fn.name, "FunctionArn": arn,
            "Runtime": f"python{sys.version_info.major}.{sys.version_info.minor}",
            "Role": f"arn:aws:iam::{config.account_id}:role/{self.manifest.app_name}-{self.manifest.stage}",
            "Handler": fn.handler, "CodeSize": size, "Description": "", "Timeout": fn.lambda_timeout,
            "MemorySize": fn.lambda_memory_size, "LastModified": self._started, "CodeSha256": sha,
            "Version": "$LATEST", "TracingConfig": {"Mode": "PassThrough"},
            "Layers": [{"Arn": layer_arn.format(name), "CodeSize": 0} for name in fn.layers],
            "State": "Active", "LastUpdateStatus": "Successful", "PackageType": "Zip",
            "Architectures": ["x86_64" if os.uname().machine in ("x86_64", "AMD64") else "arm64"],
            "EphemeralStorage": {"Size": 512},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{fn.name}"},
        }

    def _function(self, request: HttpRequest, raw_name: str) -> Function | HttpResponse:
        name, qualifier = function_name(raw_name, request.query_value("Qualifier"))
        fn = self.manifest.functions.get(name)
        if fn is None or qualifier not in (None, "$LATEST"):
            return client_error(404, "ResourceNotFoundException", f"Function not found: {self.runner.arn(name)}")
        return fn

    def get_function(self, request: HttpRequest, raw_name: str) -> HttpResponse:
        fn = self._function(request, raw_name)
        if isinstance(fn, HttpResponse):
            return fn
        body: dict[str, Any] = {"Configuration": self.configuration(fn), "Code": {"RepositoryType": "S3"},
                                "Tags": {}}
        if fn.reserved_concurrency is not None:
            body["Concurrency"] = {"ReservedConcurrentExecutions": fn.reserved_concurrency}
        return _answer(body)

    def get_configuration(self, request: HttpRequest, raw_name: str) -> HttpResponse:
        fn = self._function(request, raw_name)
        if isinstance(fn, HttpResponse):
            return fn
        return _answer(self.configuration(fn))

    def list_functions(self, request: HttpRequest) -> HttpResponse:
        """Names in order; `Marker` is the last name of the previous page, `MaxItems` 1..10000 (default 50)."""
        given = request.query_value("MaxItems")
        raw_max = "50" if given is None else given
        if not raw_max.isdigit() or not 1 <= int(raw_max) <= 10000:
            return client_error(400, "InvalidParameterValueException", f"MaxItems must be 1..10000, got {raw_max!r}")
        names = sorted(self.manifest.functions)
        marker = request.query_value("Marker")
        if marker:
            names = [n for n in names if n > marker]
        page = names[:int(raw_max)]
        body: dict[str, Any] = {"Functions": [self.configuration(self.manifest.functions[n]) for n in page]}
        if len(names) > len(page):
            body["NextMarker"] = page[-1]
        return _answer(body)


def is_control_plane(path: str) -> bool:
    return bool(_API_PATH.match(path))


def refusal(method: str, path: str) -> HttpResponse:
    """501 naming the Lambda operation this request is (or the method and path when none matches)."""
    operation = lambda_operation(method, path)
    what = f"the Lambda operation {operation} ({method} {path})" if operation else f"{method} {path}"
    return error_response(501, {"Type": "Service", "Operation": operation,
                                "message": f"The local runner does not implement {what}; "
                                           f"it answers {', '.join(SERVED)}"},
                          [("x-amzn-ErrorType", "NotImplementedException"), ("x-amzn-RequestId", ids.request_id())])


def lambda_operation(method: str, path: str) -> str | None:
    for op_method, regex, name in _operations():
        if op_method == method.upper() and regex.match(path):
            return name
    return None


@functools.lru_cache(maxsize=1)
def _operations() -> list[tuple[str, re.Pattern[str], str]]:
    try:  # botocore's model of the Lambda API: an optional dependency, imported only here and only when needed
        import botocore.session
    except ImportError:
        return []
    model = botocore.session.get_session().get_service_model("lambda")
    ops = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http["requestUri"].split("?")[0].rstrip("/") or "/"
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(uri))
        pattern = pattern.replace(r"[^/]+\+", ".+")
        ops.append((http["method"], re.compile(f"^{pattern}/?$"), name))
    # the most literal template first: /functions/{name}/configuration before /functions/{name}
    ops.sort(key=lambda op: -len(op[1].pattern.replace("[^/]+", "").replace(".+", "")))
    return ops
