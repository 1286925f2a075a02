"""Keeps bench/bench_export.py from rotting: a ``--quick`` run prints its table and verdict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_export_benchmark_quick_run_prints_the_target() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_export.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for label in ("rows", "to_dataframe median", "rows per CPU second", "target", "verdict:"):
        assert label in out, out
    assert "10,000" in out, "100 conversations x 100 messages"
    assert out.count("PASS") + out.count("FAIL") == 2, out  # the target's row and the verdict
