"""Keeps bench/bench_long.py from rotting: a ``--quick`` run prints its table and verdicts."""

from __future__ import annotations

import json
from pathlib import Path

from tests._bench import run_bench


def test_long_session_benchmark_quick_run_prints_the_table(tmp_path: Path) -> None:
    out_json = tmp_path / "long.json"
    out = run_bench("bench_long.py", "--quick", "--json", str(out_json))
    for label in (
        "turns 1-10",
        "turns 31-40",
        "local model (its own work)",
        "request building",
        "garbage collection",
        "workbench overhead",
        "comm bytes per turn",
        "messages_html trait bytes",
        "growth per turn (KiB)",
    ):
        assert label in out, out
    assert out.count("PASS") + out.count("FAIL") >= 6, out  # five targets and the verdict
    data = json.loads(out_json.read_text())
    assert len(data["bare"]["turns"]) == len(data["widget"]["turns"]) == 40
    assert data["widget"]["history"] == 160 and data["memory"]["memory"]
