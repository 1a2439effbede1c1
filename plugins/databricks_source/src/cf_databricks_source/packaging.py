"""deploy: ``pyproject.toml`` for the connector and a built wheel and sdist (``python -m build``).

The build runs without isolation (``--no-isolation``) with the hatchling this plugin depends on,
so it works offline. Standalone the whole ``src/`` tree is packaged; inside a Lakeflow checkout
(``--repo``) the connector's own folder is packaged from a staging copy, and the repository's
own files are left alone.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from connector_factory.errors import StepFailed
from connector_factory.files import FileWriter
from connector_factory.models import StepResult

from cf_databricks_source.connector_plan import ConnectorPlan
from cf_databricks_source.layout import Layout


def pyproject(plan: ConnectorPlan, layout: Layout) -> str:
    """The connector distribution's ``pyproject.toml`` text. Inside a checkout it is named and
    depends as the repository's per-source ``pyproject.toml`` files do
    (``lakeflow-community-connectors-NAME`` on ``lakeflow-community-connectors``, e.g.
    ``sources/github/pyproject.toml`` at commit f9c88869), built with hatchling (offline)."""
    slug = plan.name.replace("_", "-")
    dist = (f"lakeflow-community-connectors-{slug}" if layout.in_repo
            else f"lakeflow-community-connector-{slug}")
    package = "src/databricks" if not layout.in_repo else layout.src_dir
    core = ('\n    "lakeflow-community-connectors>=0.1.0",  # the interface (the repository)'
            if layout.in_repo else "")
    return f'''[build-system]
requires = ["hatchling>=1.24"]
build-backend = "hatchling.build"

[project]
name = "{dist}"
version = "0.1.0"
description = "Lakeflow community source connector for {plan.title or plan.name}"
readme = "README.md"
requires-python = ">=3.10"
dependencies = [
    "requests>=2.31",   # HTTP client of the connector
    "pyspark>=3.5",     # StructType schemas (a Databricks runtime provides it){core}
]

[project.optional-dependencies]
test = [
    "pytest>=8",        # the Lakeflow contract suite and the auth test
    "PyYAML>=6",        # the simulator reads source_simulator/specs/NAME/endpoints.yaml
]

[tool.hatch.build.targets.wheel]
packages = ["{package}"]

[tool.hatch.build.targets.sdist]
include = ["src", "README.md", "pyproject.toml"]
'''


def _build(folder: Path, outdir: Path) -> list[Path]:
    cmd = [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel",
           "--outdir", str(outdir), str(folder)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        last = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
        raise StepFailed(f"python -m build failed: {' | '.join(last)}",
                         "fix pyproject.toml or the package, then run `cf deploy`")
    return sorted(p for p in outdir.iterdir() if p.suffix in (".whl", ".gz"))


def package(plan: ConnectorPlan, layout: Layout, project_dir: Path,
            writer: FileWriter) -> StepResult:
    """Write pyproject.toml and build the wheel and sdist into ``dist/``."""
    outdir = project_dir / "dist"
    outdir.mkdir(exist_ok=True)
    dist_files: list[Path]
    if not layout.in_repo:
        readme = project_dir / "README.md"
        if not readme.is_file() and (project_dir / layout.readme_file).is_file():
            writer.write("README.md", (project_dir / layout.readme_file).read_text())
        writer.write("pyproject.toml", pyproject(plan, layout))
        outputs = writer.finish()
        dist_files = _build(project_dir, outdir)
    else:
        pyproject_rel = f"{layout.src_dir}/pyproject.toml"
        writer.write(pyproject_rel, pyproject(plan, layout))
        outputs = writer.finish()
        with tempfile.TemporaryDirectory(prefix="cf-build-") as tmp:
            stage = Path(tmp)
            shutil.copytree(project_dir / layout.src_dir, stage / layout.src_dir)
            shutil.copy(project_dir / pyproject_rel, stage / "pyproject.toml")
            shutil.copy(project_dir / layout.readme_file, stage / "README.md")
            dist_files = _build(stage, outdir)
    built = [p.relative_to(project_dir).as_posix() for p in dist_files
             if plan.name.replace("_", "-") in p.name.replace("_", "-")]
    return StepResult(summary=f"built {', '.join(Path(b).name for b in built)}",
                      outputs=outputs + built, details={"dist": built})
