"""Keeps bench/bench_media.py from rotting: a ``--quick`` run prints its table and verdict."""

from __future__ import annotations

from tests._bench import run_bench


def test_media_benchmark_quick_run_prints_the_table_and_passes() -> None:
    out = run_bench("bench_media.py", "--quick", "--check")
    for label in (
        "SQLite log on disk",
        "the request bodies as sent",
        "the previous schema's rows",
        "to_dataframe() memory (deep)",
        "usage_dataframe() memory (deep)",
        "JSONL media='embed'",
        "JSONL media='reference'",
        "JSONL media='drop'",
        "verdict: PASS",
    ):
        assert label in out, out
    assert "FAIL" not in out, out
