"""Times ``import workbench`` against openai and httpx, and checks it leaves pandas and UI out."""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("pandas", "ipywidgets", "IPython")
"""Modules ``import workbench`` must not load: the UI and export layers import them lazily."""
TARGETS = ("workbench", "openai", "httpx")
LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S.*)$")


@dataclass(frozen=True)
class Entry:
    """One line of ``-X importtime`` output."""

    self_us: int
    cumulative_us: int
    depth: int
    name: str


@dataclass(frozen=True)
class Run:
    """One fresh interpreter importing one module."""

    total_us: int
    entries: tuple[Entry, ...]
    forbidden: tuple[str, ...]


def parse_importtime(stderr: str) -> list[Entry]:
    """Parse ``-X importtime`` lines; nesting is two spaces of indent per level."""
    entries = []
    for line in stderr.splitlines():
        match = LINE.match(line)
        if match:
            self_us, cumulative_us, indent, name = match.groups()
            entries.append(Entry(int(self_us), int(cumulative_us), len(indent) // 2, name.strip()))
    return entries


def subtree(entries: list[Entry], module: str) -> tuple[Entry, ...]:
    """Return the top-level ``module`` entry and every import nested under it (children first)."""
    for end, entry in enumerate(entries):
        if entry.depth == 0 and entry.name == module:
            start = end
            while start > 0 and entries[start - 1].depth > 0:
                start -= 1
            return tuple(entries[start : end + 1])
    raise LookupError(f"no top-level import of {module!r} in the -X importtime output")


def import_once(module: str, env: dict[str, str]) -> Run:
    """Import ``module`` in a fresh interpreter under ``-X importtime``; note forbidden modules."""
    check = f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    code = f"import {module}; import sys; {check}"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=REPO_ROOT,  # ``-c`` puts the working directory first on sys.path: the source tree
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.splitlines()[-5:])
        raise RuntimeError(f"`import {module}` failed (exit {proc.returncode}):\n{tail}")
    tree = subtree(parse_importtime(proc.stderr), module)
    forbidden = tuple(filter(None, proc.stdout.strip().split(",")))
    return Run(tree[-1].cumulative_us, tree, forbidden)


def measure(module: str, repeat: int, env: dict[str, str]) -> list[Run]:
    """Warm the bytecode cache with one import, then time ``repeat`` fresh imports."""
    import_once(module, env)
    return [import_once(module, env) for _ in range(repeat)]


def median_run(runs: list[Run]) -> Run:
    """The run whose total is the median (the lower one for an even count)."""
    ordered = sorted(runs, key=lambda run: run.total_us)
    return ordered[(len(ordered) - 1) // 2]


def main(argv: list[str] | None = None) -> int:
    """Print import times and the top self-time modules; exit 1 if a forbidden module loaded."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="timed imports each (default 5)")
    parser.add_argument("--top", type=int, default=10, help="modules to list by self time")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        env = dict(os.environ)
        # The machine sets PYTHONDONTWRITEBYTECODE=1, which would recompile the source tree on
        # every run; allow bytecode, but write it to a private prefix so no folder gets __pycache__.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
        results = {module: measure(module, args.repeat, env) for module in TARGETS}

    print(
        f"import benchmark: -X importtime cumulative time of the top-level import, median of "
        f"{args.repeat} fresh interpreters after 1 warm-up, warm bytecode cache"
    )
    print(f"python {platform.python_version()}; {os.cpu_count()} CPUs")
    print()
    print(f"{'module':<12}{'median ms':>11}{'min ms':>9}{'max ms':>9}{'modules':>9}")
    for module, runs in results.items():
        totals = [run.total_us / 1000 for run in runs]
        count = len(median_run(runs).entries)
        print(
            f"{module:<12}{statistics.median(totals):>11.1f}{min(totals):>9.1f}"
            f"{max(totals):>9.1f}{count:>9}"
        )
    print()

    typical = median_run(results["workbench"])
    print(f"workbench: top {args.top} modules by self time (the median run)")
    print(f"{'self ms':>9}{'cum ms':>9}  module")
    for entry in sorted(typical.entries, key=lambda e: e.self_us, reverse=True)[: args.top]:
        print(f"{entry.self_us / 1000:>9.1f}{entry.cumulative_us / 1000:>9.1f}  {entry.name}")
    print()

    loaded = sorted({name for run in results["workbench"] for name in run.forbidden})
    checked = ", ".join(FORBIDDEN)
    if loaded:
        print(f"FAIL: `import workbench` loaded {', '.join(loaded)} (checked: {checked})")
        return 1
    print(f"ok: `import workbench` leaves {checked} out of sys.modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
