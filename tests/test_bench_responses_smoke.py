"""Keeps bench/bench_responses.py from rotting: a ``--quick`` run prints a number for every
contender and both verdicts (the ratios are not asserted: speed is measured by the benchmark,
not by tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests._bench import run_bench

ROW = re.compile(r"^(?P<label>.+?)\s+(?P<cpu>\d+\.\d\d)\s+\d+\.\d\d\s+\d+%\s+\d+\.\d\dx\s")


def test_responses_benchmark_quick_run_prints_the_table(tmp_path: Path) -> None:
    out = run_bench("bench_responses.py", "--quick", "--json", str(tmp_path / "responses.json"))
    rows = {m["label"]: float(m["cpu"]) for m in map(ROW.match, out.splitlines()) if m}
    for label in (
        "raw httpx + json.loads (floor)",
        "raw httpx async + json.loads (floor)",
        "openai create(stream=True)",
        "openai async .stream() + final",
        "workbench create(stream=True)",
        "workbench .stream() + final",
        "workbench async create(stream=True)",
        "workbench async .stream() + final",
    ):
        assert rows.get(label, 0) > 0, f"no number for {label!r} in:\n{out}"
    assert "676 events a stream" in out
    assert out.count(": PASS (") + out.count(": MISS (") == 2, out
    saved = json.loads((tmp_path / "responses.json").read_text())
    assert [row["error"] for row in saved["results"]] == [None] * 10
    assert all(len(row["cpu_s"]) == 2 for row in saved["results"])


def test_responses_benchmark_whole_body_framing_and_profile() -> None:
    out = run_bench(
        "bench_responses.py", "--quick", "--framing", "whole", "--only", "raw,workbench-create"
    )
    assert "the body in one piece" in out
    rows = {m["label"] for m in map(ROW.match, out.splitlines()) if m}
    assert rows == {"raw httpx + json.loads (floor)", "workbench create(stream=True)"}
    out = run_bench("bench_responses.py", "--profile", "workbench-stream", "--requests", "2")
    assert "cProfile of 2 streams: workbench .stream() + final" in out
    assert "_responses_accumulate.py" in out
