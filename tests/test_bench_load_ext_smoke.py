"""bench/bench_load_ext.py runs (one fresh kernel per statement) and prints its verdict line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_load_ext.py"


@pytest.mark.timeout(120)
def test_bench_load_ext_quick() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, check=True
    )
    lines = done.stdout.splitlines()
    assert any(line.startswith("%load_ext workbench") for line in lines)
    assert any(line.startswith("import openai (baseline)") for line in lines)
    verdict = next(line for line in lines if line.startswith("measured:"))
    assert "heavy modules loaded: none" in verdict, verdict
