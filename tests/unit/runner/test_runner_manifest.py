"""Manifest parsing: resolution order, environment references, and errors naming function and key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from local_runner.errors import ManifestError
from local_runner.manifest import load_manifest

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "runner_collection" / "chalice.json"


def write(tmp_path: Path, data: Any, *, with_source: bool = True) -> Path:
    if with_source:
        (tmp_path / "functions" / "f").mkdir(parents=True, exist_ok=True)
        (tmp_path / "layers" / "l" / "python").mkdir(parents=True, exist_ok=True)
    path = tmp_path / "chalice.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def base(**fn: Any) -> dict[str, Any]:
    spec = {"source": "functions/f", "handler": "app.handler", **fn}
    return {"layers": {"l": {"source": "layers/l"}}, "functions": {"f": spec}}


def test_fixture_resolves_stage_function_and_env_refs() -> None:
    m = load_manifest(FIXTURE, "dev", environ={"RUNNER_FIXTURE_SECRET": "s3cret"})
    echo = m.functions["echo"]
    assert (echo.lambda_timeout, echo.lambda_memory_size, echo.reserved_concurrency) == (5, 256, None)
    assert dict(echo.environment_variables) == {"GREETING": "hello", "FROM_RUNNER": "s3cret", "STAGE": "dev",
                                                "STAGE_FN": "dev-echo"}
    assert [(r.method, r.path) for r in echo.routes] == [("GET", "/echo"), ("POST", "/echo"),
                                                         ("ANY", "/echo/{proxy+}")]
    assert echo.schedules[0].expression == "rate(1 minute)"
    assert m.functions["single"].reserved_concurrency == 1
    assert m.functions["raiser"].lambda_memory_size == 128  # top-level default
    assert m.api_gateway_stage == "api"


def test_unset_environment_reference_is_left_out() -> None:
    echo = load_manifest(FIXTURE, "dev", environ={}).functions["echo"]
    assert "FROM_RUNNER" not in echo.environment_variables and echo.environment_variables["GREETING"] == "hello"


def test_stage_settings_override_function_defaults() -> None:
    m = load_manifest(FIXTURE, "prod", environ={})
    assert m.functions["raiser"].lambda_timeout == 30
    assert m.functions["echo"].lambda_timeout == 30  # stage beats the function's default, as in Chalice
    assert m.api_gateway_stage == "v1"


@pytest.mark.parametrize(("fn", "key", "fragment"), [
    ({"lambda_timeout": 0}, "lambda_timeout", "1..900"),
    ({"lambda_timeout": "30"}, "lambda_timeout", "integer"),
    ({"lambda_memory_size": 64}, "lambda_memory_size", "128..10240"),
    ({"reserved_concurrency": -1}, "reserved_concurrency", "integer"),
    ({"handler": "app"}, "handler", "module.attribute"),
    ({"layers": ["nope"]}, "layers", "unknown layer 'nope'"),
    ({"routes": ["FETCH /x"]}, "routes", "unknown method"),
    ({"routes": ["GET x"]}, "routes", "invalid path"),
    ({"schedules": ["every day"]}, "schedules", "rate(N unit)"),
    ({"schedules": ["rate(1 minutes)"]}, "schedules", "rate(1 minute)"),
    ({"environment_variables": {"A": 1}}, "environment_variables", "must be a string"),
    ({"source": "functions/missing"}, "source", "folder not found"),
    ({"lambda_timout": 3}, "lambda_timout", "unknown keys"),
    ({"provisioned_concurrency": -1}, "provisioned_concurrency", "0..10000"),
    ({"provisioned_concurrency": 3, "reserved_concurrency": 2}, "provisioned_concurrency", "0..2"),
])
def test_errors_name_function_and_key(tmp_path: Path, fn: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(ManifestError) as info:
        load_manifest(write(tmp_path, base(**fn)), environ={})
    assert info.value.function == "f"
    assert info.value.key == key
    assert "function 'f'" in str(info.value) and f"key '{key}'" in str(info.value)
    assert fragment in str(info.value)


def test_stage_override_of_undeclared_function_is_refused(tmp_path: Path) -> None:
    data = base()
    data["stages"] = {"dev": {"lambda_functions": {"ghost": {"lambda_timeout": 3}}}}
    with pytest.raises(ManifestError) as info:
        load_manifest(write(tmp_path, data), environ={})
    assert info.value.function == "ghost"


def test_stage_value_error_names_the_function(tmp_path: Path) -> None:
    data = base()
    data["stages"] = {"dev": {"lambda_functions": {"f": {"lambda_memory_size": 1}}}}
    with pytest.raises(ManifestError) as info:
        load_manifest(write(tmp_path, data), environ={})
    assert (info.value.function, info.value.key) == ("f", "lambda_memory_size")


def test_duplicate_route_and_unknown_stage_and_bad_json(tmp_path: Path) -> None:
    data = base(routes=["GET /a"])
    data["functions"]["g"] = {"source": "functions/f", "handler": "app.h", "routes": ["GET /a"]}
    with pytest.raises(ManifestError, match="also served by 'f'"):
        load_manifest(write(tmp_path, data), environ={})
    data = base()
    data["stages"] = {"prod": {}}
    with pytest.raises(ManifestError, match="stage 'dev' is not defined"):
        load_manifest(write(tmp_path, data), environ={})
    with pytest.raises(ManifestError, match="not valid JSON"):
        load_manifest(write(tmp_path, "{nope"), environ={})
    with pytest.raises(ManifestError, match="file not found"):
        load_manifest(tmp_path / "absent.json")


def test_layer_needs_exactly_one_kind(tmp_path: Path) -> None:
    data = base()
    data["layers"]["l"] = {"source": "layers/l", "requirements": "x.txt"}
    with pytest.raises(ManifestError, match="exactly one"):
        load_manifest(write(tmp_path, data), environ={})


def test_repository_manifest_is_valid() -> None:
    root = Path(__file__).resolve().parents[3]
    manifest = load_manifest(root / "chalice.json", environ={})
    assert manifest.functions


def test_provisioned_concurrency_per_stage(tmp_path: Path) -> None:
    data = base(provisioned_concurrency=1)
    data["stages"] = {"dev": {}, "prod": {"lambda_functions": {"f": {"provisioned_concurrency": 3}}}}
    path = write(tmp_path, data)
    assert load_manifest(path, "dev", environ={}).functions["f"].provisioned_concurrency == 1
    assert load_manifest(path, "prod", environ={}).functions["f"].provisioned_concurrency == 3
    assert load_manifest(write(tmp_path, base()), environ={}).functions["f"].provisioned_concurrency == 0


def test_repository_manifest_provisions_the_public_routes_the_dispatcher_and_the_first_answer() -> None:
    root = Path(__file__).resolve().parents[3]
    functions = load_manifest(root / "chalice.json", environ={}).functions
    provisioned = {name for name, fn in functions.items() if fn.provisioned_concurrency}
    # bot_start answers a new user's first /start: provisioned, it is within 3 s after `make run` (issue 14);
    # health, since probes that came during its cold start were refused (issue 9's soak)
    assert provisioned == {"health", "fal_webhook_status", "fal_webhook_portrait", "tg_webhook", "tg_dispatch",
                           "bot_start"}
