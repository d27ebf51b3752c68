"""The collection manifest (`chalice.json`): which functions exist, where their code is, how they run.

Format (JSON; paths are relative to the manifest's folder)::

    {
      "version": "2.0",
      "app_name": "aisha",
      "runtime": "python3.11",                      # Lambda runtime (python3.11..3.14), also per stage
      "architecture": "x86_64",                     # or arm64; wheels are installed for this platform
      "secret_environment_variables": ["API_KEY"],  # values never written into a template (NoEcho)
      "bucket_environment_variables": ["BUCKET"],   # values are S3 bucket names (the only ones IAM allows)
      "layers": {                                   # our extension: the layers of the collection
        "core": {"source": "layers/core"},          #   a tree layer: <source>/python is /opt/python
        "deps": {"requirements": "layers/deps/requirements.txt"}   # a third-party layer, pip-installed
      },
      "functions": {                                # our extension: the functions of the collection
        "echo": {
          "source": "functions/echo",               # folder copied to the package root (LAMBDA_TASK_ROOT)
          "handler": "app.handler",                 # module.attr: `app.app` for a Chalice app
          "routes": ["GET /echo", "POST /items/{id}"],        # or {"method": "GET", "path": "/echo"}
          "layers": ["core", "deps"],               # names from the top-level "layers", in order
          "schedules": ["rate(5 minutes)", {"expression": "cron(0 3 * * ? *)", "input": {"k": 1}}],
          "lambda_timeout": 30,                     # Chalice's own per-function keys, defaults for
          "lambda_memory_size": 256,                #   every stage; also allowed at the top level
          "reserved_concurrency": 4,                #   (defaults for all functions) and per stage
          "provisioned_concurrency": 1,             # Lambda's name: workers kept initialised (<= reserved)
          "environment_variables": {"A": "1"}
        }
      },
      "binary_media_types": ["image/png", "application/octet-stream"],   # API Gateway's binaryMediaTypes
      "stages": {                                   # Chalice's own shape
        "dev": {
          "api_gateway_stage": "api",
          "binary_media_types": ["*/*"],            # per stage (replaces the top-level list)
          "environment_variables": {"STAGE": "dev"},
          "lambda_timeout": 60,
          "lambda_functions": {"echo": {"lambda_timeout": 5, "reserved_concurrency": 1}}
        }
      }
    }

Settings resolve like Chalice's: built-in defaults < top level < `functions.<name>` < `stages.<stage>` <
`stages.<stage>.lambda_functions.<name>`; `environment_variables` are merged along the same order. A value
`${NAME}` (the whole value) in `environment_variables` is replaced by the runner's own environment
variable NAME (the variable is left out when NAME is unset), so secrets stay out of the manifest.
Defaults: lambda_timeout 60 s (1..900), lambda_memory_size 128 MB (128..10240), no reserved concurrency,
no provisioned concurrency (0; at most the reserved concurrency when that is set).
Lambda's reserved variable names (AWS_ACCESS_KEY_ID, AWS_REGION, _HANDLER, ... see RESERVED_VARIABLES) are
refused: Lambda sets them itself (credentials come from the execution role; the runner passes its own).
A function has at most 5 layers, as on Lambda.
`binary_media_types` (the API's `binaryMediaTypes`; `type/subtype`, `*` allowed) defaults to the list a
Chalice app deploys with (`chalice.app.Chalice().api.binary_types`), DEFAULT_BINARY_MEDIA_TYPES here.

Every error is a `ManifestError` naming the function and the key.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_runner.errors import ManifestError
from local_runner.lambda_runtime import LambdaRuntime, parse_runtime

LAMBDA_KEYS = ("lambda_timeout", "lambda_memory_size", "reserved_concurrency", "provisioned_concurrency",
               "environment_variables")
FUNCTION_KEYS = {"source", "handler", "routes", "layers", "schedules", *LAMBDA_KEYS}
HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PATH = re.compile(r"^/([A-Za-z0-9._~:@!$&'()*+,;=-]+|\{[A-Za-z_][A-Za-z0-9_]*\+?\}|/)*$")
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
ENV_REFERENCE = _ENV_REF  # a whole value `${NAME}`: read by `package`, which keeps references as parameters
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_LAYERS = 5
DEFAULT_RUNTIME = LambdaRuntime("python3.11", "x86_64")  # these machines' Python: local workers run the same wheels
# Set by Lambda itself; a function's configuration may not name them (AWS Lambda developer guide).
RESERVED_VARIABLES = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
})
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9*][A-Za-z0-9!#$&^_.+*-]*/[A-Za-z0-9*][A-Za-z0-9!#$&^_.+*-]*$")
# What Chalice deploys as the REST API's binaryMediaTypes unless the app changes `app.api.binary_types`.
DEFAULT_BINARY_MEDIA_TYPES = (
    "application/octet-stream", "application/x-tar", "application/zip", "audio/basic", "audio/ogg", "audio/mp4",
    "audio/mpeg", "audio/wav", "audio/webm", "image/png", "image/jpg", "image/jpeg", "image/gif", "video/ogg",
    "video/mpeg", "video/webm",
)


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or ANY
    path: str  # API Gateway resource path, e.g. /items/{id}


@dataclass(frozen=True)
class Schedule:
    expression: str  # rate(...) or cron(...), as EventBridge
    input: Any = None  # the event given to the function; None means an EventBridge "Scheduled Event"
    name: str = ""


@dataclass(frozen=True)
class Layer:
    name: str
    source: Path | None = None  # a folder holding python/
    requirements: Path | None = None  # a requirements file installed with pip


@dataclass(frozen=True)
class Function:
    name: str
    source: Path
    handler: str
    routes: tuple[Route, ...] = ()
    layers: tuple[str, ...] = ()
    schedules: tuple[Schedule, ...] = ()
    lambda_timeout: int = 60
    lambda_memory_size: int = 128
    reserved_concurrency: int | None = None
    provisioned_concurrency: int = 0
    environment_variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    path: Path
    root: Path
    app_name: str
    stage: str
    api_gateway_stage: str
    functions: Mapping[str, Function]
    layers: Mapping[str, Layer]
    runtime: LambdaRuntime = DEFAULT_RUNTIME
    secret_variables: tuple[str, ...] = ()
    bucket_variables: tuple[str, ...] = ()
    binary_media_types: tuple[str, ...] = DEFAULT_BINARY_MEDIA_TYPES

    def function(self, name: str) -> Function:
        from local_runner.errors import FunctionNotFound

        try:
            return self.functions[name]
        except KeyError:
            raise FunctionNotFound(name) from None


def load_manifest(path: Path | str, stage: str = "dev", environ: Mapping[str, str] | None = None) -> Manifest:
    """Read and validate the manifest; raises ManifestError naming the function and the key."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise ManifestError(f"file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(f"not valid JSON: {exc}") from None
    return parse_manifest(raw, path, stage, os.environ if environ is None else environ)


def parse_manifest(raw: Any, path: Path, stage: str, environ: Mapping[str, str]) -> Manifest:
    if not isinstance(raw, dict):
        raise ManifestError("the top level must be an object")
    root = path.parent.resolve()
    stages = _obj(raw.get("stages", {}), None, "stages")
    if stage not in stages and stages:
        raise ManifestError(f"stage {stage!r} is not defined (have: {', '.join(sorted(stages))})", key="stages")
    stage_cfg = _obj(stages.get(stage, {}), None, f"stages.{stage}")
    per_stage_fn = _obj(stage_cfg.get("lambda_functions", {}), None, f"stages.{stage}.lambda_functions")
    layers = {n: _layer(n, spec, root) for n, spec in _obj(raw.get("layers", {}), None, "layers").items()}
    functions_raw = _obj(raw.get("functions", {}), None, "functions")
    for name in per_stage_fn:
        if name not in functions_raw:
            raise ManifestError("configured for a stage but not declared under 'functions'", function=name,
                                key=f"stages.{stage}.lambda_functions.{name}")
    functions: dict[str, Function] = {}
    for name, spec in functions_raw.items():
        spec = _obj(spec, name, "functions." + name)
        cfgs = [raw, spec, stage_cfg, _obj(per_stage_fn.get(name, {}), name, f"stages.{stage}.lambda_functions")]
        functions[name] = _function(name, spec, cfgs, root, layers, environ)
    routes_seen: dict[tuple[str, str], str] = {}
    for fn in functions.values():
        for route in fn.routes:
            other = routes_seen.setdefault((route.method, route.path), fn.name)
            if other != fn.name:
                raise ManifestError(f"route {route.method} {route.path} is also served by {other!r}",
                                    function=fn.name, key="routes")
    api_stage = stage_cfg.get("api_gateway_stage", raw.get("api_gateway_stage", "api"))
    if not isinstance(api_stage, str) or not api_stage:
        raise ManifestError("must be a non-empty string", key="api_gateway_stage")
    app_name = raw.get("app_name", root.name)
    if not isinstance(app_name, str):
        raise ManifestError("must be a string", key="app_name")
    try:
        runtime = parse_runtime(str(stage_cfg.get("runtime", raw.get("runtime", "python3.11"))),
                                str(stage_cfg.get("architecture", raw.get("architecture", "x86_64"))))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ManifestError(str(exc), key="runtime") from None
    binary = _media_types(stage_cfg.get("binary_media_types", raw.get("binary_media_types")), stage)
    return Manifest(path=path.resolve(), root=root, app_name=app_name, stage=stage,
                    api_gateway_stage=api_stage, functions=functions, layers=layers, runtime=runtime,
                    secret_variables=_names(raw, "secret_environment_variables"),
                    bucket_variables=_names(raw, "bucket_environment_variables"),
                    binary_media_types=binary)


def _names(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and _VAR_NAME.match(v) for v in value):
        raise ManifestError("must be a list of environment variable names", key=key)
    return tuple(value)


def _media_types(value: Any, stage: str) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_BINARY_MEDIA_TYPES
    if not isinstance(value, list) or not all(isinstance(v, str) and _MEDIA_TYPE.match(v) for v in value):
        raise ManifestError(f"must be a list of media types such as 'image/png' or '*/*', got {value!r}",
                            key=f"binary_media_types (stage {stage})")
    return tuple(v.lower() for v in value)


def _obj(value: Any, function: str | None, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ManifestError("must be an object", function=function, key=key)
    return value


def _layer(name: str, spec: Any, root: Path) -> Layer:
    if not _NAME.match(name):
        raise ManifestError(f"invalid layer name {name!r}", key="layers")
    spec = _obj(spec, None, f"layers.{name}")
    unknown = set(spec) - {"source", "requirements"}
    if unknown:
        raise ManifestError(f"unknown keys {sorted(unknown)}", key=f"layers.{name}")
    if ("source" in spec) == ("requirements" in spec):
        raise ManifestError("give exactly one of 'source' or 'requirements'", key=f"layers.{name}")
    if "source" in spec:
        src = _existing(root, spec["source"], None, f"layers.{name}.source", folder=True)
        if not (src / "python").is_dir():
            raise ManifestError(f"{src} has no python/ folder", key=f"layers.{name}.source")
        return Layer(name, source=src)
    return Layer(name, requirements=_existing(root, spec["requirements"], None, f"layers.{name}.requirements"))


def _existing(root: Path, value: Any, function: str | None, key: str, folder: bool = False) -> Path:
    if not isinstance(value, str) or not value:
        raise ManifestError("must be a non-empty relative path", function=function, key=key)
    p = (root / value).resolve()
    if not (p.is_dir() if folder else p.is_file()):
        raise ManifestError(f"{'folder' if folder else 'file'} not found: {value}", function=function, key=key)
    return p


def _function(name: str, spec: dict[str, Any], cfgs: list[dict[str, Any]], root: Path,
              layers: Mapping[str, Layer], environ: Mapping[str, str]) -> Function:
    if not _NAME.match(name):
        raise ManifestError("invalid function name (1-64 of A-Z a-z 0-9 _ -)", function=name, key="functions")
    unknown = set(spec) - FUNCTION_KEYS
    if unknown:
        raise ManifestError(f"unknown keys {sorted(unknown)}", function=name, key=sorted(unknown)[0])
    source = _existing(root, spec.get("source"), name, "source", folder=True)
    handler = spec.get("handler")
    if not isinstance(handler, str) or not re.match(r"^[A-Za-z_][\w./]*\.[A-Za-z_]\w*$", handler):
        raise ManifestError("must be 'module.attribute' (e.g. app.app or app.handler)", function=name,
                            key="handler")
    fn_layers = spec.get("layers", [])
    if not isinstance(fn_layers, list) or not all(isinstance(x, str) for x in fn_layers):
        raise ManifestError("must be a list of layer names", function=name, key="layers")
    for layer in fn_layers:
        if layer not in layers:
            raise ManifestError(f"unknown layer {layer!r}", function=name, key="layers")
    if len(fn_layers) > MAX_LAYERS:
        raise ManifestError(f"{len(fn_layers)} layers; Lambda allows at most {MAX_LAYERS}", function=name,
                            key="layers")
    merged: dict[str, Any] = {"lambda_timeout": 60, "lambda_memory_size": 128, "reserved_concurrency": None,
                              "provisioned_concurrency": 0}
    env: dict[str, str] = {}
    for cfg in cfgs:
        for key in LAMBDA_KEYS:
            if key in cfg and key != "environment_variables":
                merged[key] = cfg[key]
        env.update(_env(cfg.get("environment_variables", {}), name, environ))
    timeout = _int(merged["lambda_timeout"], name, "lambda_timeout", 1, 900)
    memory = _int(merged["lambda_memory_size"], name, "lambda_memory_size", 128, 10240)
    rc = merged["reserved_concurrency"]
    reserved = None if rc is None else _int(rc, name, "reserved_concurrency", 0, 10000)
    provisioned = _int(merged["provisioned_concurrency"], name, "provisioned_concurrency", 0,
                       10000 if reserved is None else reserved)
    return Function(name=name, source=source, handler=handler, routes=_routes(spec.get("routes", []), name),
                    layers=tuple(fn_layers), schedules=_schedules(spec.get("schedules", []), name),
                    lambda_timeout=timeout, lambda_memory_size=memory, reserved_concurrency=reserved,
                    provisioned_concurrency=provisioned,
                    environment_variables=env)


def _int(value: Any, function: str, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ManifestError(f"must be an integer in {low}..{high}, got {value!r}", function=function, key=key)
    return value


def _env(value: Any, function: str, environ: Mapping[str, str]) -> dict[str, str]:
    value = _obj(value, function, "environment_variables")
    out: dict[str, str] = {}
    for k, v in value.items():
        if k in RESERVED_VARIABLES:
            raise ManifestError(f"{k} is reserved by Lambda, which sets it itself (credentials come from the "
                                "execution role; the runner passes its own)", function=function,
                                key="environment_variables")
        if not isinstance(v, str):
            raise ManifestError(f"value of {k!r} must be a string", function=function, key="environment_variables")
        ref = _ENV_REF.match(v)
        if ref is None:
            out[k] = v
        elif ref.group(1) in environ:  # unset: left out, as if the manifest did not name it
            out[k] = environ[ref.group(1)]
    return out


def _routes(value: Any, function: str) -> tuple[Route, ...]:
    if not isinstance(value, list):
        raise ManifestError("must be a list", function=function, key="routes")
    routes = []
    for item in value:
        if isinstance(item, str) and len(item.split()) == 2:
            method, path = item.split()
        elif isinstance(item, dict) and set(item) == {"method", "path"}:
            method, path = item["method"], item["path"]
        else:
            raise ManifestError(f"each route is 'METHOD /path' or {{method, path}}, got {item!r}",
                                function=function, key="routes")
        method = str(method).upper()
        if method not in HTTP_METHODS:
            raise ManifestError(f"unknown method {method!r}", function=function, key="routes")
        if not isinstance(path, str) or not _PATH.match(path) or "//" in path:
            raise ManifestError(f"invalid path {path!r}", function=function, key="routes")
        routes.append(Route(method, path))
    return tuple(routes)


def _schedules(value: Any, function: str) -> tuple[Schedule, ...]:
    if not isinstance(value, list):
        raise ManifestError("must be a list", function=function, key="schedules")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            item = {"expression": item}
        if not isinstance(item, dict) or not set(item) <= {"expression", "input", "name"}:
            raise ManifestError(f"entry {i} must be a string or {{expression, input, name}}",
                                function=function, key="schedules")
        expr = item.get("expression")
        if not isinstance(expr, str) or not (_RATE.match(expr) or _CRON.match(expr)):
            raise ManifestError(f"entry {i}: expression must be rate(N unit) or cron(6 fields), got {expr!r}",
                                function=function, key="schedules")
        m = _RATE.match(expr)
        if m and (int(m.group(1)) < 1 or (m.group(1) == "1") != (not m.group(2).endswith("s"))):
            raise ManifestError(f"entry {i}: {expr!r} (rate(1 minute), rate(5 minutes))",
                                function=function, key="schedules")
        out.append(Schedule(expression=expr, input=item.get("input"), name=str(item.get("name", f"{function}-{i}"))))
    return tuple(out)
