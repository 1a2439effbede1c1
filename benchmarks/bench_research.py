"""Benchmark: research and scaffold on GitHub's REST API description (1,223 operations, 13 MB).

Baseline, measured in the same run: parsing the document with ``json.loads`` (the least any
reader must do). Prints each phase's median wall time and its ratio to the baseline.

Run: ``python benchmarks/bench_research.py [--repeat N]`` after ``bash .ci/fetch-inputs`` with the
core and the databricks-source plugin installed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cf_databricks_source.layout import Layout
from cf_databricks_source.openapi_research import research
from cf_databricks_source.scaffold import scaffold
from connector_factory.files import FileWriter
from connector_factory.testing.inputs import InputsMissing, real_inputs

ROOT = Path(__file__).resolve().parents[1]


def median_s(work: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``work()`` over ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        spec = real_inputs(ROOT, "github/api.github.com.json") / "github" / "api.github.com.json"
    except InputsMissing as exc:
        raise SystemExit(str(exc)) from None
    text = spec.read_text()
    baseline = median_s(lambda: json.loads(text), args.repeat)
    plan = research(spec, "github")
    research_s = median_s(lambda: research(spec, "github"), args.repeat)

    def render() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            scaffold(plan, Layout(name="github", in_repo=False), FileWriter(Path(tmp), {}))

    scaffold_s = median_s(render, args.repeat)
    print(f"GitHub REST API: {plan.stats['operations']} operations, "
          f"{plan.stats['candidates']} candidate tables, {len(plan.tables)} chosen")
    print(f"{'phase':<28}{'median s':>10}{'× json.loads':>14}")
    for name, seconds in (("baseline: json.loads", baseline), ("research", research_s),
                          ("scaffold (10 tables)", scaffold_s)):
        print(f"{name:<28}{seconds:>10.3f}{seconds / baseline:>14.1f}")


if __name__ == "__main__":
    main()
