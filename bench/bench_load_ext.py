"""How long ``%load_ext workbench`` takes in a fresh Jupyter kernel (target: under 300 ms).

Each round starts a new ipykernel (this venv's Python), runs one cell that times the statement
with ``time.perf_counter`` inside the kernel, and shuts the kernel down; the median of the rounds
is reported, next to the same measure for ``import openai`` and ``import httpx`` (baselines
measured in the same run), and what the statement imported that a kernel had not.

    .venv/bin/python bench/bench_load_ext.py            # 5 fresh kernels per statement
    .venv/bin/python bench/bench_load_ext.py --quick    # 1 kernel each (tests run this)
    .venv/bin/python bench/bench_load_ext.py --check    # exit 1 when the target fails
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any

from jupyter_client.manager import start_new_kernel

TARGET_MS = 300.0
STATEMENTS = {
    "%load_ext workbench": "get_ipython().run_line_magic('load_ext', 'workbench')",
    "import openai (baseline)": "import openai",
    "import httpx (baseline)": "import httpx",
}
_PROBE = """
import sys, time, json
_before = set(sys.modules)
_t = time.perf_counter()
{statement}
_ms = (time.perf_counter() - _t) * 1000
_new = sorted({{m.split('.')[0] for m in set(sys.modules) - _before}})
print(json.dumps({{"ms": _ms, "new": _new}}))
"""


def run_in_fresh_kernel(statement: str) -> dict[str, Any]:
    """Time ``statement`` in a new kernel; returns ``{"ms": ..., "new": [top-level modules]}``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    with tempfile.TemporaryDirectory() as scratch:
        env["WORKBENCH_LOG"] = os.path.join(scratch, "log.sqlite3")
        manager, client = start_new_kernel(
            kernel_name="python3", env=env, stderr=subprocess.DEVNULL
        )
        try:
            out: list[str] = []

            def collect(message: dict[str, Any]) -> None:
                if message["msg_type"] == "stream" and message["content"]["name"] == "stdout":
                    out.append(message["content"]["text"])
                elif message["msg_type"] == "error":
                    out.append(json.dumps({"error": message["content"]["evalue"]}))

            client.execute_interactive(
                _PROBE.format(statement=statement), output_hook=collect, timeout=60
            )
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
    result: dict[str, Any] = json.loads("".join(out).strip().splitlines()[-1])
    if "error" in result:
        raise RuntimeError(f"{statement}: {result['error']}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one round each")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target fails")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    print(f"python {sys.version.split()[0]}; {rounds} fresh kernel(s) per statement\n")
    print(f"{'statement':<30}{'median ms':>12}{'min ms':>10}  imported (new top-level modules)")
    results: dict[str, float] = {}
    heavy: list[str] = []
    for label, statement in STATEMENTS.items():
        runs = [run_in_fresh_kernel(statement) for _ in range(rounds)]
        times = [r["ms"] for r in runs]
        results[label] = statistics.median(times)
        new = runs[-1]["new"]
        if label.startswith("%load_ext"):
            heavy = [m for m in new if m in ("pandas", "ipywidgets", "anywidget", "matplotlib")]
        shown = ", ".join(new[:8]) + (f" (+{len(new) - 8})" if len(new) > 8 else "")
        print(f"{label:<30}{results[label]:>12.1f}{min(times):>10.1f}  {shown}")
    load = results["%load_ext workbench"]
    verdict = "PASS" if load <= TARGET_MS and not heavy else "FAIL"
    print(f"\ntarget: %load_ext workbench <= {TARGET_MS:.0f} ms, loading no pandas or widgets")
    print(f"measured: {load:.1f} ms; heavy modules loaded: {heavy or 'none'}; verdict: {verdict}")
    return 1 if args.check and verdict == "FAIL" else 0


if __name__ == "__main__":
    sys.exit(main())
