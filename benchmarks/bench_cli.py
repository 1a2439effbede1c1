"""Benchmark: start-up of the read-only commands ``cf targets`` and ``cf status`` against
``cf --help`` (the baseline, measured in the same run: the least any ``cf`` command does).

Each command runs as its own process, the three alternating, ``--repeat`` rounds; prints each
one's median wall time, the spread (min–max) and the ratio of medians to ``cf --help``; then,
where valgrind is installed, each command's instruction count and its ratio (steady whatever
else the machine does). The
project ``cf status`` reads is made first by ``cf new`` on the shipped petstore example (it
stops at the plan gate: no terminal, no ``--yes``).

Run: ``python benchmarks/bench_cli.py [--repeat N]`` with the core and the plugins installed
(``cf`` on ``PATH``, or beside this Python).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from processes import cf_command, child_env, instructions

ROOT = Path(__file__).resolve().parents[1]


def run_s(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """``(wall, cpu)`` seconds of one process running ``argv`` (its output is discarded); the
    CPU time (user + system) is steadier than the wall time on a shared machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-instructions", action="store_true",
                        help="skip the instruction counts (valgrind, ~10 s a command)")
    args = parser.parse_args()
    cf = cf_command()
    with tempfile.TemporaryDirectory() as tmp:
        env = child_env(Path(tmp) / "pycache", COLUMNS="100")
        subprocess.run([*cf, "new", "--target", "databricks-source", "pet", "--doc",
                        str(ROOT / "examples" / "petstore" / "openapi.yaml"), "--out", tmp],
                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        project = Path(tmp) / "pet"
        if not (project / ".cf" / "state.json").is_file():
            raise SystemExit("cf new did not make the petstore project")
        commands = {"cf --help": [*cf, "--help"], "cf targets": [*cf, "targets"],
                    "cf status": [*cf, "status", "--project", str(project)]}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for argv in commands.values():  # warm the file cache once
            run_s(argv, env)
        for _ in range(args.repeat):
            for name, argv in commands.items():
                times[name].append(run_s(argv, env))
        counts = {} if args.no_instructions else {
            name: instructions(argv, env) for name, argv in commands.items()}
    base_wall = statistics.median(t[0] for t in times["cf --help"])
    base_cpu = statistics.median(t[1] for t in times["cf --help"])
    print(f"{args.repeat} alternating rounds; baseline `cf --help`: median wall {base_wall:.3f} s,"
          f" CPU {base_cpu:.3f} s")
    print(f"{'command':<12}{'wall s':>8}{'min–max s':>14}{'× help':>8}{'CPU s':>8}{'× help':>8}")
    for name, samples in times.items():
        walls = [t[0] for t in samples]
        cpu = statistics.median(t[1] for t in samples)
        wall = statistics.median(walls)
        spread = f"{min(walls):.3f}–{max(walls):.3f}"
        print(f"{name:<12}{wall:>8.3f}{spread:>14}{wall / base_wall:>8.2f}{cpu:>8.3f}"
              f"{cpu / base_cpu:>8.2f}")
    base_count = counts.get("cf --help")
    if base_count:
        print("instructions (valgrind callgrind, one run each: steady on a shared machine)")
        for name, count in counts.items():
            print(f"{name:<12}{count or 0:>14,}{(count or 0) / base_count:>8.2f} × help")
    print("done when cf targets and cf status are within 1.2× of cf --help")


if __name__ == "__main__":
    main()
