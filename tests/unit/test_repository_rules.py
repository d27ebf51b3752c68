"""Rules of the repository, checked across all modules."""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path

from aisha.texts import CATALOGUES

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = json.loads((ROOT / "chalice.json").read_text())


def test_every_function_folder_has_a_handler_and_a_manifest_entry() -> None:
    folders = {p.name for p in (ROOT / "functions").iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert folders == set(MANIFEST["functions"])
    for name, spec in MANIFEST["functions"].items():
        assert spec["source"] == f"functions/{name}"
        module, attr = spec["handler"].split(".")
        tree = ast.parse((ROOT / spec["source"] / f"{module}.py").read_text())
        defined = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) for t in node.targets
                   if isinstance(t, ast.Name)}
        defined |= {n.asname or n.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    for n in node.names}
        defined |= {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert attr in defined, f"{name}: {spec['handler']} is not defined"


def test_functions_are_thin() -> None:
    for path in (ROOT / "functions").glob("*/*.py"):
        assert len(path.read_text().splitlines()) <= 60, f"{path} is not thin"


def test_core_modules_stay_small() -> None:
    for path in (ROOT / "layers/core/python/aisha").rglob("*.py"):
        assert len(path.read_text().splitlines()) <= 300, f"{path} is over 300 lines"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    ru, en = CATALOGUES["ru"], CATALOGUES["en"]
    assert set(ru) == set(en)
    for key in ru:
        assert _fields(ru[key]) == _fields(en[key]), key


def test_no_text_key_is_defined_twice() -> None:
    import importlib
    import pkgutil

    for language in ("ru", "en"):
        package = importlib.import_module(f"aisha.texts.{language}")
        seen: dict[str, str] = {}
        for module in pkgutil.iter_modules(package.__path__):
            for key in importlib.import_module(f"{package.__name__}.{module.name}").TEXTS:
                assert key not in seen, f"{language}: {key} is in both {seen[key]} and {module.name}"
                seen[key] = module.name


def test_every_env_reference_is_a_documented_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in MANIFEST["environment_variables"]:
        assert f"`{name}`" in readme, f"{name} is passed to functions but not documented in the README"


def test_every_setting_reaches_the_functions() -> None:
    """A setting the manifest does not pass is never seen by a function, on the runner or on AWS."""
    from aisha.config import Settings

    passed = set(MANIFEST["environment_variables"])
    missing = sorted(name.upper() for name in Settings.__struct_fields__ if name.upper() not in passed)
    assert not missing, f"settings chalice.json does not pass to the functions: {missing}"


def test_tests_make_http_calls_through_tests_web() -> None:
    """A top-level httpx.get/post/request builds a client and a TLS context on every call (29 ms of CPU):
    the suite's calls go through tests.web, which shares one context. Scripts run as their own process
    (not imported by pytest) may use httpx directly."""
    offenders = []
    for path in (ROOT / "tests").rglob("*.py"):
        if path.name == "web.py" or "fixtures" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        if any(isinstance(n, ast.If) and "__main__" in ast.unparse(n.test) for n in tree.body):
            continue
        offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(tree)
                      if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                      and isinstance(node.func.value, ast.Name) and node.func.value.id == "httpx"
                      and node.func.attr in ("get", "post", "put", "delete", "request", "stream")]
    assert offenders == []


def test_the_scheduler_orders_only_scopes_that_exist() -> None:
    """A renamed module left in tests/conftest.LONGEST_FIRST would silently lose its place in the order."""
    from tests.conftest import LONGEST_FIRST, STACK_GROUPS

    missing = [s for s in LONGEST_FIRST if s not in STACK_GROUPS.values() and not (ROOT / s).is_file()]
    assert not missing, f"neither a stack group nor a test module: {missing}"


def test_no_conftest_takes_fixtures_from_another() -> None:
    """A fixture imported into a second conftest is a second definition of it: a session fixture such as the
    Aisha stack is then made once for each (two stacks, 20 more workers). Tests that share a fixture live
    under the conftest that defines it."""
    offenders = [f"{path.relative_to(ROOT)}:{node.lineno}" for path in (ROOT / "tests").rglob("conftest.py")
                 for node in ast.walk(ast.parse(path.read_text()))
                 if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("conftest")]
    assert offenders == []
