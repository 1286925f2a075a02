"""Keeps bench/bench_widget.py from rotting: a ``--quick`` run prints its table and verdicts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_widget_benchmark_quick_run_prints_the_targets() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_widget.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for label in ("reply bytes", "comm bytes", "comm bytes / reply bytes", "updates while", "wall"):
        assert label in out, out
    assert out.count("PASS") + out.count("FAIL") >= 4, out  # three targets and the verdict
    assert "verdict:" in out
