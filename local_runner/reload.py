"""`--reload`: watch the functions' and layers' sources; rebuild and restart only what changed.

Polls file modification times (no extra dependency). A change to a function's folder restarts that
function's workers; a change to a layer restarts the functions that use it. In-flight invocations finish
on their old worker (see FunctionPool.reload). Changes to the manifest itself need a restart.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from local_runner.build import IGNORED
from local_runner.manifest import Manifest
from local_runner.runner import Runner

log = logging.getLogger("local_runner.reload")
Snapshot = dict[str, tuple[float, int]]


def snapshot(paths: list[Path]) -> Snapshot:
    out: Snapshot = {}
    for root in paths:
        if root.is_file():
            st = root.stat()
            out[str(root)] = (st.st_mtime, st.st_size)
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in IGNORED]
            for name in filenames:
                p = os.path.join(dirpath, name)
                try:
                    st = os.stat(p)
                except FileNotFoundError:
                    continue
                out[p] = (st.st_mtime, st.st_size)
    return out


def _sources(manifest: Manifest) -> dict[str, list[Path]]:
    """Watched paths per function: its folder and its layers' sources."""
    out: dict[str, list[Path]] = {}
    for fn in manifest.functions.values():
        paths = [fn.source]
        for name in fn.layers:
            layer = manifest.layers[name]
            paths.append(layer.source if layer.source is not None else layer.requirements)  # type: ignore[arg-type]
        out[fn.name] = paths
    return out


class Reloader:
    def __init__(self, runner: Runner, interval: float = 0.5) -> None:
        self.runner = runner
        self.interval = interval
        self._sources = _sources(runner.manifest)
        self._snaps = {name: snapshot(paths) for name, paths in self._sources.items()}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def check(self) -> list[str]:
        """One pass: rebuild the functions whose inputs changed; return those restarted."""
        changed = []
        for name, paths in self._sources.items():
            snap = snapshot(paths)
            if snap != self._snaps[name]:
                self._snaps[name] = snap
                changed.append(name)
        if not changed:
            return []
        restarted = await self.runner.rebuild(changed)
        if restarted:
            log.info("reloaded %s", ", ".join(restarted))
        return restarted

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:
                log.exception("reload failed; keeping the running workers")
