"""A local emulator of AWS Lambda + API Gateway for a collection of functions described by chalice.json.

Generic: it knows nothing about the collection it runs. Public names are re-exported here; importing this
package has no side effects.
"""

from local_runner.errors import (
    FunctionNotFound,
    ManifestError,
    RunnerError,
    Throttled,
)
from local_runner.invoke import InvocationResult, Invoker

__all__ = [
    "FunctionNotFound",
    "InvocationResult",
    "Invoker",
    "ManifestError",
    "RunnerError",
    "Throttled",
]
