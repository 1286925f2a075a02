"""Keeps bench/bench_requests.py from rotting: a ``--quick`` run prints every row with a number
and both verdicts (the ratios are not asserted: speed is measured by the benchmark, not by
tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests._bench import run_bench

ROW = re.compile(r"^(?P<label>.+?)\s+(?P<cpu>\d+\.\d)\s+(?P<wall>\d+\.\d)\s+\d+%\s+\d+\.\d\dx$")


def test_requests_benchmark_quick_run_prints_the_table(tmp_path: Path) -> None:
    out = run_bench("bench_requests.py", "--quick", "--json", str(tmp_path / "requests.json"))
    rows = {m["label"]: float(m["cpu"]) for m in map(ROW.match, out.splitlines()) if m}
    for label in (
        "raw httpx post + json.loads",
        "raw httpx async post + json.loads",
        "workbench Client.create",
        "workbench AsyncClient.create",
        "openai 1.106.1 OpenAI.create",
        "openai 1.106.1 AsyncOpenAI.create",
    ):
        assert rows.get(label, 0) > 0, f"no number for {label!r} in:\n{out}"
    assert out.count("verdict: workbench") == 2, out
    assert out.count(": PASS (") + out.count(": MISS (") == 2, out
    saved = json.loads((tmp_path / "requests.json").read_text())
    assert [row["error"] for row in saved["results"]] == [None] * 6
    assert all(len(row["cpu_s_per_request"]) == 2 for row in saved["results"])


def test_requests_benchmark_in_process_needs_no_sockets_and_is_not_a_verdict() -> None:
    out = run_bench("bench_requests.py", "--quick", "--in-process", "--only", "raw,workbench")
    assert "in process: an httpx.MockTransport" in out and "server:" not in out
    rows = {m["label"]: float(m["cpu"]) for m in map(ROW.match, out.splitlines()) if m}
    assert set(rows) == {"raw httpx post + json.loads", "workbench Client.create"}
    assert out.count("[in process: for reference]") == 1, out


def test_requests_benchmark_profiles_workbench() -> None:
    out = run_bench(
        "bench_requests.py", "--profile", "workbench", "--in-process", "--requests", "50"
    )
    assert "cProfile of 50 requests: workbench Client.create" in out
    assert "workbench/client/_client.py" in out and "(_request)" in out
