"""Keeps bench/bench_grid.py from rotting: a ``--quick`` run prints its table and verdict."""

from __future__ import annotations

from pathlib import Path

from tests._bench import run_bench


def test_grid_benchmark_quick_run_prints_the_target(tmp_path: Path) -> None:
    out = run_bench("bench_grid.py", "--quick", "--json", str(tmp_path / "grid.json"), timeout=60)
    for label in ("grid.run() (log off", "bare AsyncClient streams", "SQLite log on", "vs ideal"):
        assert label in out, out
    assert "128 / 16 x 0.05 s = 0.4000 s" in out, out
    assert out.count("PASS") + out.count("FAIL") == 1, out
    assert (tmp_path / "grid.json").read_text().count('"wall_s"') == 3
