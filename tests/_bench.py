"""Running a benchmark script the way its smoke test does (keeping ``bench/`` from rotting)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_bench(script: str, *args: str, timeout: float = 120) -> str:
    """Run ``bench/<script>`` with ``args`` from the project root and return what it printed,
    after checking that it exited with 0 (its output and errors are the failure's message)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
