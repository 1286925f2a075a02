"""Times a 1,000-cell ``workbench.Grid`` against the local model with 100 ms latency per request.

Issue 6's target: with concurrency 64 the grid finishes within 1.5x of the ideal
(cells / concurrency x latency = 1000 / 64 x 0.1 s = 1.5625 s). The local model runs in-process
(``LocalTransport``), its latency a ``Pacing(first_token=...)`` sleep before each stream starts,
so the run measures the grid's own cost: scheduling, one ``Conversation`` per cell, streaming
and parsing. For comparison the table also times the same requests through the bare
``AsyncClient`` (``chat.completions.stream``, 64 at a time), and the grid with its cells written
to the SQLite log (``log=True``; off by default). Each row shows the CPU time per cell
(``time.process_time``, every thread counted), which a shared machine's load moves less than
the wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import workbench  # noqa: E402
from workbench.local import LocalModel, Pacing  # noqa: E402

LIMIT = 1.5
"""Target: the grid's wall time at most this many times the ideal."""
MODELS = ("model-a", "model-b")
PARAMS = {"temperature": [0.2, 1.0]}


@dataclass
class Row:
    """One measured contender: the median of its runs."""

    name: str
    wall_s: float
    cpu_s: float
    cells: int
    spread: float

    def ratio(self, ideal: float) -> float:
        return self.wall_s / ideal

    @property
    def cpu_per_cell_ms(self) -> float:
        """CPU time (``time.process_time``: every thread, the log's included) per cell, in ms:
        less at the mercy of a shared machine than the wall time."""
        return self.cpu_s / self.cells * 1000


def make_grid(cells: int, latency: float, concurrency: int, log: bool | str = False) -> Any:
    """A grid of ``cells`` cells: prompts x 2 models x 2 temperatures."""
    per_prompt = len(MODELS) * len(PARAMS["temperature"])
    prompts = [f"Question {i}: what is {i} squared?" for i in range(max(1, cells // per_prompt))]
    client = workbench.AsyncClient(local=LocalModel(pacing=Pacing(first_token=latency)))
    return workbench.Grid(
        prompts,
        models=list(MODELS),
        params=PARAMS,
        concurrency=concurrency,
        client=client,
        log=log,
    )


def time_grid(
    cells: int, latency: float, concurrency: int, log: bool | str = False
) -> tuple[float, float, int]:
    grid = make_grid(cells, latency, concurrency, log)
    wall, cpu = time.perf_counter(), time.process_time()
    result = grid.run(display=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if result.counts != {"done": len(grid.cells)}:
        raise SystemExit(f"the grid did not finish cleanly: {result.counts}")
    return wall, cpu, len(grid.cells)


async def _bare(cells: int, latency: float, concurrency: int) -> int:
    import httpx

    from workbench.local import LocalTransport

    model = LocalModel(pacing=Pacing(first_token=latency))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    pool = httpx.AsyncClient(limits=limits, transport=LocalTransport(model))
    client = workbench.AsyncClient(local=model, http_client=pool)
    gate = asyncio.Semaphore(concurrency)
    per_prompt = len(MODELS) * len(PARAMS["temperature"])
    requests = [
        (f"Question {i}: what is {i} squared?", m, t)
        for i in range(max(1, cells // per_prompt))
        for m in MODELS
        for t in PARAMS["temperature"]
    ]

    async def one(prompt: str, model_name: str, temperature: float) -> None:
        async with (
            gate,
            client.chat.completions.stream(
                model=model_name,
                messages=[{"role": "user", "content": prompt}],
                temperature=temperature,
                stream_options={"include_usage": True},
            ) as stream,
        ):
            async for _ in stream:
                pass

    await asyncio.gather(*(one(*r) for r in requests))
    await pool.aclose()
    return len(requests)


def time_bare(cells: int, latency: float, concurrency: int) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    count = asyncio.run(_bare(cells, latency, concurrency))
    return time.perf_counter() - wall, time.process_time() - cpu, count


def measure(contenders: list[tuple[str, Any]], runs: int) -> list[Row]:
    """Each contender ``runs`` times, round-robin (so that a busy machine slows them alike)."""
    results: dict[str, list[tuple[float, float, int]]] = {name: [] for name, _ in contenders}
    for _ in range(runs):
        for name, timer in contenders:
            results[name].append(timer())
    rows = []
    for name, runs_of in results.items():
        walls = sorted(r[0] for r in runs_of)
        median = statistics.median(walls)
        spread = (walls[-1] - walls[0]) / median if median else 0.0
        cpu = statistics.median(r[1] for r in runs_of)
        rows.append(Row(name, median, cpu, runs_of[0][2], spread))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (median)")
    parser.add_argument("--no-log-row", action="store_true", help="skip the log=True row")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 128 cells, 50 ms")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args(argv)
    if args.quick:
        args.cells, args.concurrency, args.latency, args.repeat = 128, 16, 0.05, 1
    cells, latency, concurrency = args.cells, args.latency, args.concurrency
    ideal = cells / concurrency * latency

    print(
        f"grid benchmark: {cells:,} cells ({len(MODELS)} models x 2 temperatures x"
        f" {cells // 4} prompts), concurrency {concurrency}, {latency * 1000:.0f} ms latency per"
        f" request (local model in-process), median of {args.repeat} after 1 warm-up"
    )
    print(
        f"python {platform.python_version()}, workbench {workbench.__version__};"
        f" {os.cpu_count()} CPUs"
    )
    print()
    time_grid(concurrency, latency, concurrency)  # warm-up: imports, caches
    with tempfile.TemporaryDirectory() as folder:
        log = str(Path(folder) / "log.sqlite3")
        contenders: list[tuple[str, Any]] = [
            ("grid.run() (log off, the default)", lambda: time_grid(cells, latency, concurrency)),
            ("bare AsyncClient streams", lambda: time_bare(cells, latency, concurrency)),
        ]
        if not args.no_log_row:
            contenders.append(
                (
                    "grid.run(log=...) (SQLite log on)",
                    lambda: time_grid(cells, latency, concurrency, log),
                )
            )
        rows = measure(contenders, args.repeat)

    header = ("path", "cells", "wall s", "CPU s", "CPU ms/cell", "spread", "ideal s", "vs ideal")
    print("{:<38} {:>6} {:>8} {:>7} {:>11} {:>7} {:>8} {:>9}".format(*header))
    for row in rows:
        print(
            f"{row.name:<38} {row.cells:>6,} {row.wall_s:>8.3f} {row.cpu_s:>7.3f}"
            f" {row.cpu_per_cell_ms:>11.2f} {row.spread:>6.0%} {ideal:>8.4f}"
            f" {row.ratio(ideal):>8.2f}x"
        )
    grid = rows[0]
    ok = grid.ratio(ideal) <= LIMIT
    print()
    print(
        f"target: grid wall <= {LIMIT}x ideal ({cells} / {concurrency} x {latency:g} s ="
        f" {ideal:.4f} s): {grid.wall_s:.3f} s = {grid.ratio(ideal):.2f}x:"
        f" {'PASS' if ok else 'FAIL'}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "ideal_s": ideal,
            "limit": LIMIT,
            "rows": [asdict(r) | {"cpu_per_cell_ms": r.cpu_per_cell_ms} for r in rows],
            "pass": ok,
        }
        args.json.write_text(json.dumps(data, indent=2))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
