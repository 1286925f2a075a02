"""Times a graded 1,000-cell ``workbench.Grid``: three graders, one a model judge, SQLite log on.

Issue 19's target: 1,000 cells with 3 graders (one a judge) at concurrency 64 on the local
model finish within 1.5x of the ideal wall time with the log on. Every request (a cell's reply,
then its judge's one call) waits ``--latency`` before its stream starts
(``Pacing(first_token=...)``) and shares the grid's 64 slots, so the ideal is
``requests / concurrency x latency`` = (1,000 + 1,000) / 64 x 0.1 s = 3.125 s.

The graders: ``string_check`` (the reply contains the row's ``expected``), ``text_similarity``
(``fuzzy_match`` against ``expected``, rapidfuzz) and a ``score_model`` judge, all in OpenAI's
grader shape. In the same run, for comparison: the graded grid with the log off, the same grid
with no graders (log on), and a bare ``AsyncClient`` sending the same 2,000 requests (each reply,
then a judge-shaped structured request) 64 at a time. The grading overhead per cell is the CPU
of the graded grid less the ungraded one's, over the cells; the judge's request is counted in
it, as the grid pays for it.
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
"""Target: the graded grid's wall time (log on) at most this many times the ideal."""

GRADERS: list[dict[str, Any]] = [
    {
        "type": "string_check",
        "name": "mentions",
        "input": "{{ sample.output_text }}",
        "reference": "{{ item.expected }}",
        "operation": "ilike",
    },
    {
        "type": "text_similarity",
        "name": "similar",
        "input": "{{ sample.output_text }}",
        "reference": "{{ item.expected }}",
        "evaluation_metric": "fuzzy_match",
        "pass_threshold": 0.5,
    },
    {
        "type": "score_model",
        "name": "judge",
        "model": "judge-model",
        "input": [
            {"role": "system", "content": "Score how well the answer matches the reference."},
            {
                "role": "user",
                "content": "Answer: {{ sample.output_text }}\nReference: {{ item.expected }}",
            },
        ],
        "range": [0, 1],
        "pass_threshold": 0.5,
    },
]


@dataclass
class Row:
    """One measured contender: the median of its runs."""

    name: str
    wall_s: float
    cpu_s: float
    cells: int
    requests: int
    spread: float

    def ratio(self, ideal: float) -> float:
        return self.wall_s / ideal


def data(cells: int) -> list[dict[str, Any]]:
    """One vars row per cell: a question and its expected answer."""
    return [{"n": i, "expected": str(i * i)} for i in range(cells)]


def time_grid(
    cells: int, latency: float, concurrency: int, *, graded: bool, log: bool | str
) -> tuple[float, float, int, int]:
    """One run: wall and CPU seconds, cells, and requests sent (replies and judge calls)."""
    client = workbench.AsyncClient(local=LocalModel(pacing=Pacing(first_token=latency)))
    grid = workbench.Grid(
        "Question {n}: what is {n} squared?",
        vars=data(cells),
        concurrency=concurrency,
        client=client,
        graders=GRADERS if graded else None,
        log=log,
    )
    wall, cpu = time.perf_counter(), time.process_time()
    result = grid.run(display=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if result.counts != {"done": len(grid.cells)}:
        raise SystemExit(f"the grid did not finish cleanly: {result.counts}")
    if graded:
        failed = [(c.key, g.error) for c in grid.cells for g in c.grades.values() if g.error]
        if failed:
            raise SystemExit(f"{len(failed)} grades failed, e.g. {failed[0]}")
    requests = len(grid.cells) * (2 if graded else 1)
    return wall, cpu, len(grid.cells), requests


async def _bare(cells: int, latency: float, concurrency: int) -> int:
    """The same 2,000 requests through a bare ``AsyncClient``: each cell's reply streamed, then
    a judge-shaped structured request, 64 requests in flight at most."""
    import httpx

    from workbench.local import LocalTransport

    model = LocalModel(pacing=Pacing(first_token=latency))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    pool = httpx.AsyncClient(limits=limits, transport=LocalTransport(model))
    client = workbench.AsyncClient(local=model, http_client=pool)
    gate = asyncio.Semaphore(concurrency)
    schema = {
        "type": "object",
        "properties": {"result": {"type": "number", "minimum": 0, "maximum": 1}},
        "required": ["result"],
        "additionalProperties": False,
    }
    judge_format = {
        "type": "json_schema",
        "json_schema": {"name": "score", "strict": True, "schema": schema},
    }

    async def one(row: dict[str, Any]) -> None:
        prompt = f"Question {row['n']}: what is {row['n']} squared?"
        async with (
            gate,
            client.chat.completions.stream(
                model="workbench-local",
                messages=[{"role": "user", "content": prompt}],
                stream_options={"include_usage": True},
            ) as stream,
        ):
            async for _ in stream:
                pass
            reply = (await stream.get_final_completion()).choices[0].message.content
        async with gate:
            await client.chat.completions.create(
                model="judge-model",
                messages=[{"role": "user", "content": f"{reply} vs {row['expected']}"}],
                response_format=judge_format,  # type: ignore[arg-type]
            )

    await asyncio.gather(*(one(row) for row in data(cells)))
    await pool.aclose()
    return cells * 2


def time_bare(cells: int, latency: float, concurrency: int) -> tuple[float, float, int, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    requests = asyncio.run(_bare(cells, latency, concurrency))
    return time.perf_counter() - wall, time.process_time() - cpu, cells, requests


def measure(contenders: list[tuple[str, Any]], runs: int) -> list[Row]:
    """Each contender ``runs`` times, round-robin (so that a busy machine slows them alike)."""
    results: dict[str, list[tuple[float, float, int, int]]] = {n: [] for n, _ in contenders}
    for _ in range(runs):
        for name, timer in contenders:
            results[name].append(timer())
    rows = []
    for name, runs_of in results.items():
        walls = sorted(r[0] for r in runs_of)
        median = statistics.median(walls)
        spread = (walls[-1] - walls[0]) / median if median else 0.0
        cpu = statistics.median(r[1] for r in runs_of)
        rows.append(Row(name, median, cpu, runs_of[0][2], runs_of[0][3], spread))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row (median)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 96 cells, 50 ms")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args(argv)
    if args.quick:
        args.cells, args.concurrency, args.latency, args.repeat = 96, 16, 0.05, 1
    cells, latency, concurrency = args.cells, args.latency, args.concurrency
    ideal = 2 * cells / concurrency * latency

    print(
        f"graded grid benchmark: {cells:,} cells, 3 graders (string_check, text_similarity,"
        f" a score_model judge), concurrency {concurrency}, {latency * 1000:.0f} ms latency per"
        f" request (local model in-process), median of {args.repeat} after 1 warm-up"
    )
    print(
        f"python {platform.python_version()}, workbench {workbench.__version__};"
        f" {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}"
    )
    print()
    time_grid(concurrency, latency, concurrency, graded=True, log=False)  # warm-up
    with tempfile.TemporaryDirectory() as folder:
        logs = iter(str(Path(folder) / f"log{i}.sqlite3") for i in range(10_000))

        def graded_log_on() -> tuple[float, float, int, int]:
            return time_grid(cells, latency, concurrency, graded=True, log=next(logs))

        def graded_log_off() -> tuple[float, float, int, int]:
            return time_grid(cells, latency, concurrency, graded=True, log=False)

        def ungraded_log_on() -> tuple[float, float, int, int]:
            return time_grid(cells, latency, concurrency, graded=False, log=next(logs))

        contenders: list[tuple[str, Any]] = [
            ("graded grid, SQLite log on", graded_log_on),
            ("graded grid, log off", graded_log_off),
            ("grid without graders, log on", ungraded_log_on),
            ("bare AsyncClient, same requests", lambda: time_bare(cells, latency, concurrency)),
        ]
        rows = measure(contenders, args.repeat)

    header = ("path", "cells", "requests", "wall s", "CPU s", "CPU ms/cell", "spread", "vs ideal")
    print("{:<34} {:>6} {:>9} {:>8} {:>7} {:>12} {:>7} {:>9}".format(*header))
    for row in rows:
        row_ideal = row.requests / concurrency * latency
        print(
            f"{row.name:<34} {row.cells:>6,} {row.requests:>9,} {row.wall_s:>8.3f}"
            f" {row.cpu_s:>7.3f} {row.cpu_s / row.cells * 1000:>12.2f} {row.spread:>6.0%}"
            f" {row.wall_s / row_ideal:>8.2f}x"
        )
    graded, ungraded = rows[0], rows[2]
    overhead_ms = (graded.cpu_s - ungraded.cpu_s) / cells * 1000
    print()
    print(
        f"grading overhead: {overhead_ms:.2f} ms of CPU per cell (graded grid less the same grid"
        " without graders, both with the log on; the judge's request included)"
    )
    ok = graded.ratio(ideal) <= LIMIT
    print(
        f"target: graded grid with the log on <= {LIMIT}x ideal ({2 * cells} requests /"
        f" {concurrency} x {latency:g} s = {ideal:.4f} s): {graded.wall_s:.3f} s ="
        f" {graded.ratio(ideal):.2f}x: {'PASS' if ok else 'FAIL'}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        numbers = {
            "ideal_s": ideal,
            "limit": LIMIT,
            "grading_overhead_ms_per_cell": overhead_ms,
            "rows": [asdict(r) for r in rows],
            "pass": ok,
        }
        args.json.write_text(json.dumps(numbers, indent=2))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
