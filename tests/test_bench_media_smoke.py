"""Keeps bench/bench_media.py from rotting: a ``--quick`` run prints its table and verdict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_media_benchmark_quick_run_prints_the_table_and_passes() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_media.py"), "--quick", "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
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
