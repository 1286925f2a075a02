"""Keeps bench/bench_export.py from rotting: a ``--quick`` run prints its table and verdict."""

from __future__ import annotations

from tests._bench import run_bench


def test_export_benchmark_quick_run_prints_the_target() -> None:
    out = run_bench("bench_export.py", "--quick")
    for label in ("rows", "to_dataframe median", "rows per CPU second", "target", "verdict:"):
        assert label in out, out
    assert "10,000" in out, "100 conversations x 100 messages"
    assert out.count("PASS") + out.count("FAIL") == 2, out  # the target's row and the verdict
