"""Benchmark: research and scaffold on GitHub's REST API description (1,223 operations, 13 MB).

Baseline, measured in the same run: parsing the document with ``json.loads`` (the least any
reader must do). Prints each phase's median wall time, its spread (min–max) and its ratio to the
baseline, in this process; then ``cf research`` and ``cf scaffold`` as the user runs them (each a
whole process: start-up, plugin loading, the one parse, the api doc written and read back, the
interpreter's exit), alternating with the baseline in its own process, with the spread. The
processes run from byte-code caches (:func:`processes.child_env`) written by a first round that
is not counted.

Run: ``python benchmarks/bench_research.py [--repeat N]`` after ``bash .ci/fetch-inputs`` with the
core and the databricks-source plugin installed.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cf_databricks_source.doc_input import forget_parsed
from cf_databricks_source.layout import Layout
from cf_databricks_source.openapi_research import research
from cf_databricks_source.scaffold import scaffold
from connector_factory.files import FileWriter
from connector_factory.testing.inputs import InputsMissing, real_inputs
from processes import cf_command, child_env

ROOT = Path(__file__).resolve().parents[1]


def times_s(work: Callable[[], object], repeat: int) -> list[float]:
    """Wall times of ``repeat`` runs of ``work()``, in seconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        spec = real_inputs(ROOT, "github/api.github.com.json") / "github" / "api.github.com.json"
    except InputsMissing as exc:
        raise SystemExit(str(exc)) from None
    text = spec.read_text()
    baseline = times_s(lambda: json.loads(text), args.repeat)
    plan = research(spec, "github")

    def fresh_research() -> None:
        forget_parsed()  # include the one parse a process makes
        research(spec, "github")

    research_s = times_s(fresh_research, args.repeat)

    def render() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            scaffold(plan, Layout(name="github", in_repo=False), FileWriter(Path(tmp), {}))

    scaffold_s = times_s(render, args.repeat)
    print(f"GitHub REST API: {plan.stats['operations']} operations, "
          f"{plan.stats['candidates']} candidate tables, {len(plan.tables)} chosen")
    base = statistics.median(baseline)
    print(f"{'phase (in this process)':<28}{'median s':>10}{'min–max s':>13}{'× json.loads':>14}")
    for name, samples in (("baseline: json.loads", baseline),
                          ("research (with the parse)", research_s),
                          ("scaffold (10 tables)", scaffold_s)):
        median = statistics.median(samples)
        spread = f"{min(samples):.2f}–{max(samples):.2f}"
        print(f"{name:<28}{median:>10.3f}{spread:>13}{median / base:>14.1f}")
    commands(spec, args.repeat)


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """``(wall, cpu)`` seconds of the process ``argv`` (CPU: user + system, steadier than the
    wall time on a shared machine).

    Raises:
        SystemExit: the process failed (its error output is shown).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def commands(spec: Path, repeat: int) -> None:
    """``cf research`` + ``cf scaffold`` as processes on ``spec``, against a process that only
    runs ``json.loads`` on it; each round starts from a project stopped at the plan gate. The
    processes run from byte-code caches in a folder of the run (:func:`processes.child_env`);
    a first round, not counted, writes them."""
    cf = cf_command()
    loads = [sys.executable, "-c", f"import json; json.loads(open({str(spec)!r}).read())"]
    names = ("baseline: python + json.loads", "cf research", "cf scaffold", "research + scaffold")
    rows: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as caches:
        env = child_env(Path(caches) / "pycache")
        for round_ in range(repeat + 1):
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run([*cf, "new", "--target", "databricks-source", "github", "--doc",
                                str(spec), "--out", tmp], env=env, capture_output=True,
                               check=False)
                project = str(Path(tmp) / "github")
                base_s = _run(loads, env)
                research_s = _run([*cf, "research", "--project", project, "--yes"], env)
                scaffold_s = _run([*cf, "scaffold", "--project", project, "--yes"], env)
            if round_ == 0:
                continue  # the warm-up round: byte-code caches written, file cache warm
            rows[names[0]].append(base_s)
            rows["cf research"].append(research_s)
            rows["cf scaffold"].append(scaffold_s)
            rows["research + scaffold"].append((research_s[0] + scaffold_s[0],
                                                research_s[1] + scaffold_s[1]))
    base_wall = statistics.median(t[0] for t in rows[names[0]])
    base_cpu = statistics.median(t[1] for t in rows[names[0]])
    print(f"\nas commands, {repeat} rounds after a warm-up round (whole processes)")
    print(f"{'process':<32}{'wall s':>8}{'min–max s':>13}{'× base':>8}{'CPU s':>8}{'× base':>8}")
    for name, samples in rows.items():
        walls = [t[0] for t in samples]
        wall, cpu = statistics.median(walls), statistics.median(t[1] for t in samples)
        spread = f"{min(walls):.2f}–{max(walls):.2f}"
        print(f"{name:<32}{wall:>8.3f}{spread:>13}{wall / base_wall:>8.1f}{cpu:>8.3f}"
              f"{cpu / base_cpu:>8.1f}")
    print("done when research + scaffold < 2 s (wall, on an otherwise idle CI machine)")


if __name__ == "__main__":
    main()
