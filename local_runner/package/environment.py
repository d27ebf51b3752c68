"""How a function's environment is written into a template: parameters, references, never secret values.

The manifest's values are literals or `${NAME}` references to the runner's environment. In a template:
- a literal stays a literal (a secret variable may not be one: it would be committed in the manifest);
- `${FUNCTION_NAME_PREFIX}` is the deployed functions' name prefix (parameter FunctionNamePrefix), so code
  that invokes other functions by name finds them; locally the runner's variable (usually unset: bare names);
- `${RUNNER_URL}` (a runner instance's own URL) is left out: on AWS, clients use AWS's endpoints;
- any other `${NAME}` is a template parameter named NAME in CamelCase (DATABASE_URL -> DatabaseUrl), left
  out of the function's environment when empty; a secret variable's parameter is NoEcho and required, or a
  Secrets Manager dynamic reference; a bucket variable's parameter is required (IAM names the bucket).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from local_runner.errors import ManifestError
from local_runner.manifest import ENV_REFERENCE, Manifest

RUNNER_ONLY = frozenset({"RUNNER_URL"})
NAME_PREFIX_REF = "FUNCTION_NAME_PREFIX"
NAME_PREFIX_PARAM = "FunctionNamePrefix"


class _KeepReferences(Mapping[str, str]):
    """An environment in which every `${NAME}` resolves to itself, so the manifest keeps its references."""

    def __getitem__(self, key: str) -> str:
        return "${" + key + "}"

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def package_environ() -> Mapping[str, str]:
    return _KeepReferences()


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.lower().replace("-", "_").split("_") if part)


@dataclass
class Environment:
    """Parameters and conditions the functions' environments need, gathered as they are written."""

    manifest: Manifest
    secrets_manager_secret: str | None = None
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    bucket_values: dict[str, Any] = field(default_factory=dict)

    def variables(self, function: str, env: Mapping[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in env.items():
            written = self._value(function, name, value)
            if written is not None:
                out[name] = written
                if name in self.manifest.bucket_variables:
                    self.bucket_values[name] = written
        return out

    def _value(self, function: str, name: str, value: str) -> Any:
        secret = name in self.manifest.secret_variables
        ref = ENV_REFERENCE.match(value)
        if ref is None:
            if secret:
                raise ManifestError(f"{name} is a secret variable: give it as a ${{NAME}} reference, not a value",
                                    function=function, key="environment_variables")
            return value
        source = ref.group(1)
        if source in RUNNER_ONLY:
            return None
        if source == NAME_PREFIX_REF:
            return {"Ref": NAME_PREFIX_PARAM}
        if secret and self.secrets_manager_secret:
            return f"{{{{resolve:secretsmanager:{self.secrets_manager_secret}:SecretString:{name}}}}}"
        param = camel(source)
        if param == NAME_PREFIX_PARAM or param.startswith("Vpc"):
            raise ManifestError(f"${{{source}}} would shadow the template's own parameter {param}",
                                function=function, key="environment_variables")
        required = secret or name in self.manifest.bucket_variables
        spec: dict[str, Any] = {"Type": "String", "Description": f"{source} (environment variable {name})"}
        if secret:
            spec["NoEcho"] = True
        if not required:
            spec["Default"] = ""
        self.parameters.setdefault(param, spec)
        if required:
            return {"Ref": param}
        condition = f"Has{param}"
        self.conditions[condition] = {"Fn::Not": [{"Fn::Equals": [{"Ref": param}, ""]}]}
        return {"Fn::If": [condition, {"Ref": param}, {"Ref": "AWS::NoValue"}]}
