"""The core layer is a one-way stack (layers/core/python/aisha/README.md), and each function loads only
what it uses: checked on the source (AST) and by importing the functions in clean interpreters."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "layers" / "core" / "python"
PACKAGE = CORE / "aisha"

# lower levels first; a module may import its own level or a lower one, never a higher one
LEVELS: list[tuple[str, ...]] = [
    ("aisha", "aisha.errors", "aisha.functions", "aisha.callbacks", "aisha.keys", "aisha.sigv4", "aisha.tls",
     "aisha.init_phase",
     "aisha.models", "aisha.config", "aisha.logs", "aisha.texts"),
    ("aisha.db", "aisha.storage", "aisha.cache", "aisha.invoke", "aisha.images", "aisha.resources",
     "aisha.health"),
    ("aisha.fal", "aisha.telegram"),
    ("aisha.worker",),
    ("aisha.services",),
    ("aisha.bot",),
    ("aisha.handlers",),
]
WEBHOOKS = ("tg_webhook", "fal_webhook_status", "fal_webhook_portrait")
HEAVY = ("telegram", "PIL", "fal_client", "boto3", "botocore")


def module_name(path: Path) -> str:
    parts = path.relative_to(CORE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit_of(module: str) -> str:
    """The unit a module belongs to: its longest prefix named in LEVELS."""
    best = ""
    for level in LEVELS:
        for unit in level:
            if (module == unit or module.startswith(unit + ".")) and len(unit) > len(best):
                best = unit
    assert best, f"{module} is on no level of the stack: add it to LEVELS and the README"
    return best


def level_of(module: str) -> int:
    unit = unit_of(module)
    return next(i for i, level in enumerate(LEVELS) if unit in level)


def imports_of(path: Path) -> set[str]:
    """Every aisha module `path` imports, at the top, inside functions or under TYPE_CHECKING alike."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names
                      if (CORE / Path(*node.module.split("."), a.name)).exists()
                      or (CORE / Path(*node.module.split("."), a.name + ".py")).exists()}
    return {name for name in found if name == "aisha" or name.startswith("aisha.")}


def core_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def test_no_module_imports_a_higher_level() -> None:
    wrong = [f"{name} (level {level_of(name)}) imports {target} (level {level_of(target)})"
             for name, path in core_modules().items() for target in imports_of(path)
             if level_of(target) > level_of(name)]
    assert not wrong, "\n".join(wrong)


def test_units_depend_on_each_other_without_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for name, path in core_modules().items():
        graph.setdefault(unit_of(name), set()).update(
            unit_of(t) for t in imports_of(path) if unit_of(t) != unit_of(name))
    done: set[str] = set()

    def visit(unit: str, trail: list[str]) -> None:
        assert unit not in trail, "cycle: " + " -> ".join([*trail[trail.index(unit):], unit])
        if unit in done:
            return
        for target in sorted(graph.get(unit, ())):
            visit(target, [*trail, unit])
        done.add(unit)

    for unit in sorted(graph):
        visit(unit, [])


def _import_in_clean_interpreter(function: str) -> dict[str, object]:
    """`import app` as the runner's worker does: the function dir and the layers, nothing of the tests."""
    code = ("import json, sys\n"
            "before = set(sys.modules)\n"
            "import app\n"
            "import gc\n"
            "new = sorted(set(sys.modules) - before)\n"
            "print(json.dumps({'count': len(new), 'tops': sorted({m.split('.')[0] for m in new}),\n"
            "                  'gc_on': gc.isenabled(), 'frozen': gc.get_freeze_count()}))\n")
    env = {"PYTHONPATH": str(CORE), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "functions" / function, env=env,
                         capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


@pytest.mark.parametrize("function", [*WEBHOOKS, "tg_dispatch"])
def test_webhooks_load_no_client_they_do_not_use(function: str) -> None:
    loaded = _import_in_clean_interpreter(function)
    tops = set(loaded["tops"])  # type: ignore[arg-type]
    assert not tops & set(HEAVY), f"{function} loads {sorted(tops & set(HEAVY))}"
    assert int(loaded["count"]) <= 300, f"{function} loads {loaded['count']} modules at import"  # type: ignore[call-overload]
    # pydantic's import alone is ~85 ms of the 150 ms cold start: what these parse are msgspec structs
    assert not tops & {"pydantic", "pydantic_core"}, f"{function} loads pydantic"
    # its init ran in aisha.init_phase: what it made is frozen, and the collector is on again
    assert loaded["gc_on"] is True and int(loaded["frozen"]) > 10_000, loaded  # type: ignore[call-overload]


def _imported(statement: ast.stmt) -> list[str]:
    if isinstance(statement, ast.Import):
        return [alias.name.split(".")[0] for alias in statement.names]
    if isinstance(statement, ast.ImportFrom):
        return [(statement.module or "").split(".")[0]]
    return []


_ENTERS = "from aisha.init_phase import init_phase"


def test_every_entry_module_imports_inside_the_init_phase() -> None:
    # only the standard library may load before it: anything else is made with the collector running
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        body = ast.parse(app.read_text()).body
        outside = [ast.unparse(s) for s in body for name in _imported(s)
                   if name not in sys.stdlib_module_names and ast.unparse(s) != _ENTERS]
        assert not outside, f"{app.parent.name}/app.py imports outside init_phase(): {outside}"
        assert any(isinstance(s, ast.With) and ast.unparse(s.items[0].context_expr) == "init_phase()" for s in body), \
            f"{app.parent.name}/app.py never enters init_phase()"


def test_the_bot_functions_load_no_fal_client_no_boto3_and_no_pydantic() -> None:
    # rows are msgspec structs: only the functions that build or read FAL payloads load pydantic
    for function in ("bot_start", "bot_help", "bot_balance"):
        tops = set(_import_in_clean_interpreter(function)["tops"])  # type: ignore[arg-type]
        assert not tops & {"fal_client", "boto3", "botocore", "pydantic", "pydantic_core"}, \
            f"{function} loads {sorted(tops)}"


def test_every_named_function_is_in_the_manifest() -> None:
    sys.path.insert(0, str(CORE))
    try:
        from aisha import functions
        from aisha.bot import routing
    finally:
        sys.path.remove(str(CORE))
    manifest = set(json.loads((ROOT / "chalice.json").read_text())["functions"])
    assert set(functions.ALL) == manifest
    routed = {*routing.FLOW_FUNCTIONS.values(), *routing.COMMANDS.values(), routing.FALLBACK}
    assert routed <= manifest


def test_function_names_are_spelled_only_in_functions_py() -> None:
    names = set(json.loads((ROOT / "chalice.json").read_text())["functions"]) - {"health"}
    spelled: list[str] = []
    for name, path in core_modules().items():
        if name == "aisha.functions" or name.startswith("aisha.texts"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in names:
                spelled.append(f"{name}:{node.lineno} {node.value!r}")
    for app in (ROOT / "functions").glob("*/app.py"):
        spelled += [f"{app.parent.name}/app.py {n.value!r}" for n in ast.walk(ast.parse(app.read_text()))
                    if isinstance(n, ast.Constant) and n.value in names]
    assert not spelled, "use aisha.functions instead: " + ", ".join(spelled)
