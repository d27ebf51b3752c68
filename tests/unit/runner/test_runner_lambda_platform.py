"""Lambda platform rules: runtimes and their glibc, wheel tags, reserved variables, layer count, credentials."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local_runner.errors import BuildError, ManifestError
from local_runner.lambda_runtime import check_wheel_tags, parse_runtime, platform_glibc
from local_runner.manifest import load_manifest
from local_runner.runtime import execution_credentials


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    (tmp_path / "functions" / "f").mkdir(parents=True, exist_ok=True)
    (tmp_path / "layers" / "l" / "python").mkdir(parents=True, exist_ok=True)
    (tmp_path / "chalice.json").write_text(json.dumps(data))
    return tmp_path / "chalice.json"


def manifest(**top: Any) -> dict[str, Any]:
    fn = {"source": "functions/f", "handler": "app.handler", "layers": ["l"]}
    return {"layers": {"l": {"source": "layers/l"}}, "functions": {"f": fn}, **top}


def test_runtime_defaults_to_python311_x86_64_and_its_glibc(tmp_path: Path) -> None:
    rt = load_manifest(write(tmp_path, manifest()), environ={}).runtime
    assert (rt.name, rt.architecture, rt.glibc, rt.version) == ("python3.11", "x86_64", (2, 26), (3, 11))
    tags = rt.platform_tags()
    assert tags[0] == "manylinux_2_26_x86_64" and "manylinux2014_x86_64" in tags and "manylinux1_x86_64" in tags
    assert "manylinux_2_27_x86_64" not in tags
    assert parse_runtime("python3.12", "arm64").platform_tags()[0] == "manylinux_2_34_aarch64"


def test_runtime_per_stage_and_unknown_ones_refused(tmp_path: Path) -> None:
    path = write(tmp_path, manifest(stages={"new": {"runtime": "python3.13", "architecture": "arm64"}}))
    rt = load_manifest(path, "new", environ={}).runtime
    assert (rt.name, rt.glibc, rt.machine) == ("python3.13", (2, 34), "aarch64")
    with pytest.raises(ManifestError, match=r"key 'runtime'.*unsupported runtime 'python2.7'"):
        load_manifest(write(tmp_path, manifest(runtime="python2.7")), environ={})


def test_wheel_tags_name_the_glibc_they_need() -> None:
    assert platform_glibc("manylinux2014_x86_64") == (2, 17)
    assert platform_glibc("manylinux_2_28_x86_64") == (2, 28)
    assert platform_glibc("any") is None
    rt = parse_runtime("python3.11", "x86_64")
    check_wheel_tags("ok", ["cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux_2_28_x86_64"], rt)
    with pytest.raises(BuildError, match=r"^pillow: .*manylinux_2_28_x86_64.*glibc 2.26"):
        check_wheel_tags("pillow", ["cp311-cp311-manylinux_2_28_x86_64"], rt)
    with pytest.raises(BuildError, match=r"^native: "):
        check_wheel_tags("native", ["cp311-cp311-manylinux2014_aarch64"], rt)
    check_wheel_tags("new", ["cp312-cp312-manylinux_2_34_x86_64"], parse_runtime("python3.12", "x86_64"))


@pytest.mark.parametrize("name", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                                  "_HANDLER", "LAMBDA_TASK_ROOT", "TZ"])
def test_reserved_variables_are_refused(tmp_path: Path, name: str) -> None:
    data = manifest()
    data["functions"]["f"]["environment_variables"] = {name: "${X}"}
    with pytest.raises(ManifestError, match=f"function 'f', key 'environment_variables': {name} is reserved"):
        load_manifest(write(tmp_path, data), environ={})
    with pytest.raises(ManifestError, match=f"{name} is reserved"):
        load_manifest(write(tmp_path, manifest(environment_variables={name: "x"})), environ={})


def test_more_than_five_layers_refused(tmp_path: Path) -> None:
    data = manifest()
    data["functions"]["f"]["layers"] = ["l"] * 6
    with pytest.raises(ManifestError, match="6 layers; Lambda allows at most 5"):
        load_manifest(write(tmp_path, data), environ={})


def test_secret_and_bucket_lists_are_variable_names(tmp_path: Path) -> None:
    m = load_manifest(write(tmp_path, manifest(secret_environment_variables=["API_KEY"],
                                               bucket_environment_variables=["BUCKET"])), environ={})
    assert (m.secret_variables, m.bucket_variables) == (("API_KEY",), ("BUCKET",))
    with pytest.raises(ManifestError, match="key 'secret_environment_variables'"):
        load_manifest(write(tmp_path, manifest(secret_environment_variables="API_KEY")), environ={})


def test_workers_get_the_runners_credentials_as_an_execution_role_would() -> None:
    own = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "OTHER": "c"}
    assert execution_credentials(own) == {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
    chosen = {**own, "RUNNER_AWS_ACCESS_KEY_ID": "x", "RUNNER_AWS_SECRET_ACCESS_KEY": "y",
              "RUNNER_AWS_SESSION_TOKEN": "z"}
    assert execution_credentials(chosen) == {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y",
                                             "AWS_SESSION_TOKEN": "z"}
    assert execution_credentials({}) == {}


def test_a_workers_environment_carries_the_runners_credentials_not_the_manifests(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from local_runner.config import RunnerConfig
    from local_runner.runner import Runner

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "runner-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "runner-secret")
    monkeypatch.delenv("RUNNER_AWS_ACCESS_KEY_ID", raising=False)
    m = load_manifest(write(tmp_path, manifest(environment_variables={"A": "1"})), environ={})
    env = Runner(m, RunnerConfig(build_dir=tmp_path / "build")).worker_spec(m.functions["f"]).env
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["A"]) == ("runner-key", "runner-secret", "1")
    assert "AWS_SESSION_TOKEN" not in env


def test_lambda_limits_are_reported_by_artifact() -> None:
    from local_runner.build import Artifact
    from local_runner.limits import limit_problems, size_report
    from local_runner.manifest import Function, Layer, Manifest

    mb = 1024 * 1024
    fn = Function(name="f", source=Path("."), handler="app.handler", layers=("big",))
    m = Manifest(path=Path("chalice.json"), root=Path("."), app_name="a", stage="dev", api_gateway_stage="api",
                 functions={"f": fn}, layers={"big": Layer("big")})
    fits = [Artifact("layer", "big", Path("."), None, True, 200 * mb, 49 * mb, 230 * mb),
            Artifact("function", "f", Path("."), None, True, 1 * mb, 1 * mb)]
    assert limit_problems(fits, m) == []
    report = size_report(fits, m)
    assert "200.00 MB" in report and "230.00 MB" in report  # the size before this rebuild
    over = [Artifact("layer", "big", Path("."), None, True, 249 * mb, 51 * mb),
            Artifact("function", "f", Path("."), None, True, 2 * mb, 1 * mb)]
    assert limit_problems(over, m) == ["layer big: 51.00 MB zipped; Lambda allows 50 MB per upload",
                                       "function f: 251.00 MB unzipped with its layers; Lambda allows 250 MB"]
    assert "OVER LIMIT: layer big" in size_report(over, m)
