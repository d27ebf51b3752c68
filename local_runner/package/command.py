"""`package`: build the zips for the Lambda runtime, copy them beside a generated SAM template.

    <out>/template.json         the SAM template (JSON is YAML: `sam deploy -t <out>/template.json`)
    <out>/functions/<name>.zip  each function's code
    <out>/layers/<name>.zip     each layer (python/ at the zip root)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from local_runner.build import Builder
from local_runner.limits import limit_problems, size_report
from local_runner.manifest import Manifest
from local_runner.package.sam import sam_template
from local_runner.runtime import Progress


def package_collection(manifest: Manifest, build_root: Path, out: Path, progress: Progress,
                       secrets_manager_secret: str | None = None) -> tuple[str, list[str]]:
    """Returns the size report and the Lambda limits the build breaks (none: ready to deploy)."""
    template = sam_template(manifest, secrets_manager_secret)  # manifest errors before a long build
    artifacts = Builder(manifest, build_root, zips=True, progress=progress).build_all()
    for kind in ("functions", "layers"):
        shutil.rmtree(out / kind, ignore_errors=True)
        (out / kind).mkdir(parents=True)
    for a in artifacts:
        assert a.zip_path is not None
        shutil.copyfile(a.zip_path, out / f"{a.kind}s" / a.zip_path.name)
    (out / "template.json").write_text(json.dumps(template, indent=2) + "\n")
    problems = limit_problems(artifacts, manifest)
    routes = sum(len(fn.routes) for fn in manifest.functions.values())
    schedules = sum(len(fn.schedules) for fn in manifest.functions.values())
    summary = (f"template: {out / 'template.json'} ({len(manifest.functions)} functions, {len(manifest.layers)} "
               f"layers, {routes} routes, {schedules} schedules, {len(template['Parameters'])} parameters)")
    return size_report(artifacts, manifest) + "\n" + summary, problems
