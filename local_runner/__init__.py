"""A local emulator of AWS Lambda + API Gateway for a collection of functions described by chalice.json.

Generic: it knows nothing about the collection it runs. Public names are re-exported here; importing this
package has no side effects. See README.md in this folder.
"""

from local_runner.build import Builder
from local_runner.config import RunnerConfig
from local_runner.errors import (
    BuildError,
    ConfigError,
    FunctionNotFound,
    InvokeError,
    ManifestError,
    RequestTooLarge,
    RunnerError,
    Throttled,
)
from local_runner.invoke import InvocationResult, Invoker
from local_runner.manifest import Function, Layer, Manifest, Route, Schedule, load_manifest
from local_runner.runner import Runner

__all__ = [
    "BuildError",
    "Builder",
    "ConfigError",
    "Function",
    "FunctionNotFound",
    "InvocationResult",
    "InvokeError",
    "Invoker",
    "Layer",
    "Manifest",
    "ManifestError",
    "RequestTooLarge",
    "Route",
    "Runner",
    "RunnerConfig",
    "RunnerError",
    "Schedule",
    "Throttled",
    "load_manifest",
]
