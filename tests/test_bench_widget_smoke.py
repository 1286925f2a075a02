"""Keeps bench/bench_widget.py from rotting: a ``--quick`` run prints its table and verdicts."""

from __future__ import annotations

from tests._bench import run_bench


def test_widget_benchmark_quick_run_prints_the_targets() -> None:
    out = run_bench("bench_widget.py", "--quick", timeout=60)
    for label in ("reply bytes", "comm bytes", "comm bytes / reply bytes", "updates while", "wall"):
        assert label in out, out
    assert out.count("PASS") + out.count("FAIL") >= 4, out  # three targets and the verdict
    assert "verdict:" in out
