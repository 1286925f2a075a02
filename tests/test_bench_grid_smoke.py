"""Keeps bench/bench_grid.py from rotting: a ``--quick`` run prints its table and verdict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_grid_benchmark_quick_run_prints_the_target(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_grid.py"),
            "--quick",
            "--json",
            str(tmp_path / "grid.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for label in ("grid.run() (log off", "bare AsyncClient streams", "SQLite log on", "vs ideal"):
        assert label in out, out
    assert "128 / 16 x 0.05 s = 0.4000 s" in out, out
    assert out.count("PASS") + out.count("FAIL") == 1, out
    assert (tmp_path / "grid.json").read_text().count('"wall_s"') == 3
