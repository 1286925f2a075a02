"""Keeps bench/bench_pacing.py from rotting: a ``--quick`` run prints its table and verdict (the
rates it measures are not asserted: speed is measured by the benchmark, not by tests)."""

from __future__ import annotations

import json
from pathlib import Path

from tests._bench import run_bench


def test_pacing_benchmark_quick_run_prints_the_table(tmp_path: Path) -> None:
    out = run_bench("bench_pacing.py", "--quick", "--json", str(tmp_path / "pacing.json"))
    columns = [f"{path} {s}" for path in ("sync", "async", "server") for s in ("new", "old")]
    for label in ("requested", *columns, "unpaced", "target:"):
        assert label in out, out
    assert out.count("PASS") + out.count("FAIL") == 1, out
    rows = json.loads((tmp_path / "pacing.json").read_text())["rows"]
    assert [row["requested"] for row in rows] == [60.0, 1000.0, None]
    assert all(set(row["delivered"]) == set(columns) for row in rows[:2])
    assert set(rows[2]["delivered"]) == {"sync new", "async new", "server new"}
