"""The one place the functional tests touch the core layer beyond the functions' entry points.

Everything here is a seam that may move while the layer is reshaped (issue 10): the functions'
`app.py` loading, the per-worker state they cache, the text catalogue, and reads of the journal.
Repoint these helpers and the tests stay as they are.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]
CORE_LAYER = ROOT / "layers" / "core" / "python"
Handler = Callable[[dict[str, Any], Any], Any]


@contextmanager
def _runner_path(function_dir: Path) -> Iterator[None]:
    """sys.path as the runner gives a worker: the function's folder, then its layers."""
    added = [str(function_dir), str(CORE_LAYER)]
    sys.path[:0] = added
    try:
        yield
    finally:
        for entry in added:
            sys.path.remove(entry)


def fixed_environment() -> dict[str, str]:
    """The values chalice.json gives every function outright (not from a `${VARIABLE}` of the host)."""
    declared: dict[str, str] = json.loads((ROOT / "chalice.json").read_text())["environment_variables"]
    return {name: value for name, value in declared.items() if "${" not in value}


def load_function(name: str) -> Handler:
    """`functions/<name>/app.py`'s `handler`, imported as the runner's worker imports it."""
    source = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"functional_app_{name}", source)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    with _runner_path(source.parent):
        spec.loader.exec_module(module)
    handler: Handler = module.handler
    return handler


def reset_worker_state() -> None:
    """Forget the warm worker's settings and clients (closing them), as a fresh worker process would."""
    from aisha.worker import state

    if state.cache_info().currsize:
        state().close()
    state.cache_clear()


def catalogue(language: str, key: str, **values: Any) -> str:
    """A catalogue entry rendered for the user's language: what the bot must have sent."""
    from aisha.texts import text

    return text(language, key, **values)


def journal_rows(database_url: str, provider: str, key: str) -> list[dict[str, Any]]:
    """The journal's rows of one delivery, accepted (its key) or refused (the key it claimed), oldest first."""
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute("SELECT id, status, signature, error_code, attempts FROM webhook_events "
                            "WHERE provider = %s AND (delivery_key = %s OR claimed_key = %s) ORDER BY id",
                            (provider, key, key)).fetchall()


def listed_commands() -> list[str]:
    """The commands the bot advertises (its command table's listed ones), in menu order."""
    from aisha.bot.routing import LISTED_COMMANDS

    return [command.name for command in LISTED_COMMANDS]


def style_prompt(style: str) -> str:
    """The English prompt FAL gets for a generation style preset."""
    from aisha.models.enums import STYLE_PROMPTS

    return STYLE_PROMPTS[style]
