"""The backup folder: one sub-folder per backup, complete only once renamed from `.partial`.

    <dest>/20261201T030000Z/manifest.json   what it holds: facts, object checksums, timings
                           /aisha.dump      pg_dump --format=custom
                           /buckets/<role>/<key>
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
DUMP = "aisha.dump"
PARTIAL = ".partial"
METRICS_FILE = "aisha_backup.prom"


def complete(dest: Path) -> list[Path]:
    """Finished backups, oldest first (names are UTC timestamps, so they sort by time)."""
    if not dest.exists():
        return []
    return sorted(p for p in dest.iterdir() if p.is_dir() and not p.name.endswith(PARTIAL)
                  and (p / MANIFEST).exists())


def prune(dest: Path, keep: int, now: float | None = None) -> list[Path]:
    """Keep the newest `keep` backups; drop older ones and partial leftovers older than an hour."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    now = time.time() if now is None else now
    removed = complete(dest)[:-keep]
    removed += [p for p in dest.iterdir() if p.name.endswith(PARTIAL) and now - p.stat().st_mtime > 3600]
    for path in removed:
        shutil.rmtree(path)
    return removed


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.exists():
        raise ValueError(f"{folder} is not a complete backup (no {MANIFEST})")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def write_metrics(textfile_dir: Path, manifest: dict[str, Any], finished: float) -> Path:
    """node_exporter's textfile collector format, written atomically (a scrape never sees half)."""
    objects = sum(len(b["objects"]) for b in manifest["buckets"].values())
    lines = [
        "# HELP aisha_backup_last_success_timestamp_seconds When the last backup completed (Unix time).",
        "# TYPE aisha_backup_last_success_timestamp_seconds gauge",
        f"aisha_backup_last_success_timestamp_seconds {finished:.0f}",
        "# HELP aisha_backup_duration_seconds How long the last backup took.",
        "# TYPE aisha_backup_duration_seconds gauge",
        f"aisha_backup_duration_seconds {manifest['duration_seconds']:.3f}",
        "# HELP aisha_backup_size_bytes Size of the last backup on disk.",
        "# TYPE aisha_backup_size_bytes gauge",
        f"aisha_backup_size_bytes {manifest['size_bytes']}",
        "# HELP aisha_backup_objects Objects copied from the buckets by the last backup.",
        "# TYPE aisha_backup_objects gauge",
        f"aisha_backup_objects {objects}",
    ]
    textfile_dir.mkdir(parents=True, exist_ok=True)
    target = textfile_dir / METRICS_FILE
    temp = textfile_dir / f".{METRICS_FILE}.{os.getpid()}"
    temp.write_text("\n".join(lines) + "\n")
    temp.replace(target)
    return target


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
