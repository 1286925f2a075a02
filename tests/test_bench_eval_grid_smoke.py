"""Keeps bench/bench_eval_grid.py from rotting: a ``--quick`` run prints its table, the grading
overhead and the verdict (the ratios are printed, never asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from tests._bench import run_bench


def test_graded_grid_benchmark_quick_run_prints_the_target(tmp_path: Path) -> None:
    numbers = tmp_path / "eval-grid.json"
    out = run_bench("bench_eval_grid.py", "--quick", "--json", str(numbers), timeout=120)
    for label in (
        "graded grid, SQLite log on",
        "graded grid, log off",
        "grid without graders, log on",
        "bare AsyncClient, same requests",
        "grading overhead:",
    ):
        assert label in out, out
    assert "192 requests / 16 x 0.05 s = 0.6000 s" in out, out
    assert out.count("PASS") + out.count("FAIL") == 1, out
    saved = json.loads(numbers.read_text())
    assert [row["requests"] for row in saved["rows"]] == [192, 192, 96, 192]
