"""Keeps bench/bench_long.py from rotting: a ``--quick`` run prints its table and verdicts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_long_session_benchmark_quick_run_prints_the_table(tmp_path: Path) -> None:
    out_json = tmp_path / "long.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_long.py"), "--quick", "--json", str(out_json)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
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
