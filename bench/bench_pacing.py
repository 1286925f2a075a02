"""Times the local model's pacing: tokens per second asked for against tokens per second delivered.

For each requested rate, one streamed reply is read through workbench's client from the
in-process transport (``Client``, then ``AsyncClient``) and from the HTTP server (``python -m
workbench serve --tokens-per-second R`` in a subprocess), with the scheduler in
``workbench/local/_pacing.py`` (each chunk sent when it is due) and, as the in-run baseline, the
old logic (a sleep of 1/R before every chunk but the first) put back in its place by this script.
The delivered rate is the chunks after the first divided by the time from the first to the last,
as the client sees them. Prints a table and the target: the scheduler delivers at least 95% of
every rate asked for, on every path.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402

import workbench  # noqa: E402
from bench.bench_local import running_server as local_server  # noqa: E402
from workbench.local import Clock, LocalModel, Pacing, _server, _transport  # noqa: E402

RATES = (30.0, 60.0, 500.0, 1000.0, 2000.0, 5000.0)
QUICK_RATES = (60.0, 1000.0)
TARGET = 0.95
"""The scheduler must deliver at least this share of the rate asked for."""
PATHS = ("sync", "async", "server")
WORDS = " ".join(f"word{i}" for i in range(6000))  # the model echoes them: a reply this long


# -- the old pacing, for the baseline ----------------------------------------------------------


def old_paced(events: Iterable[bytes], interval: float, clock: Clock) -> Iterator[bytes]:
    """Before the scheduler: sleep ``interval`` before each chunk but the first, whatever the
    time spent producing, sending and reading chunks."""
    for i, event in enumerate(events):
        if interval and i:
            clock.sleep(interval)
        yield event


async def old_apaced(
    events: Iterable[bytes], interval: float, clock: Clock
) -> AsyncIterator[bytes]:
    """``old_paced`` for asyncio, as the async transport and the server had it."""
    for i, event in enumerate(events):
        if interval and i:
            await clock.async_sleep(interval)
        yield event


@contextlib.contextmanager
def old_pacing() -> Iterator[None]:
    """The transport and the server use ``old_paced`` / ``old_apaced`` until the block ends."""
    saved = (_transport.paced, _transport.apaced, _server.apaced)
    _transport.paced, _transport.apaced, _server.apaced = (  # type: ignore[assignment]
        old_paced,
        old_apaced,
        old_apaced,
    )
    try:
        yield
    finally:
        _transport.paced, _transport.apaced, _server.apaced = saved


# -- one measurement ---------------------------------------------------------------------------


def request(chunks: int) -> dict[str, Any]:
    """A streamed request whose reply has ``chunks`` content chunks (plus role and finish)."""
    return {
        "model": "gpt-4o-mini",  # this name's replies echo the words back
        "messages": [{"role": "user", "content": f"Write at length about the sea: {WORDS}"}],
        "verbosity": "high",
        "max_completion_tokens": chunks,
        "stream": True,
    }


def delivered(stamps: list[float]) -> float:
    """Chunks per second from the first chunk's arrival to the last's."""
    if len(stamps) < 2 or stamps[-1] <= stamps[0]:
        return float("inf")
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def read_sync(client: workbench.Client, chunks: int) -> float:
    stamps = []
    for _chunk in client.chat.completions.create(**request(chunks)):
        stamps.append(time.perf_counter())
    return delivered(stamps)


async def read_async(client: workbench.AsyncClient, chunks: int) -> float:
    stamps = []
    async for _chunk in await client.chat.completions.create(**request(chunks)):
        stamps.append(time.perf_counter())
    return delivered(stamps)


def measure(path: str, rate: float | None, chunks: int, server: str | None) -> float:
    """One streamed reply through ``path`` at ``rate``; the delivered tokens per second."""
    pacing = Pacing(tokens_per_second=rate)
    if path == "sync":
        with workbench.Client(local=LocalModel(pacing=pacing)) as client:
            return read_sync(client, chunks)
    if path == "async":

        async def run() -> float:
            async with workbench.AsyncClient(local=LocalModel(pacing=pacing)) as client:
                return await read_async(client, chunks)

        return asyncio.run(run())
    assert server is not None
    with workbench.Client(base_url=server, api_key="sk-bench", max_retries=0) as client:
        return read_sync(client, chunks)


# -- the servers -------------------------------------------------------------------------------


@contextlib.contextmanager
def running_server(rate: float | None, scheduler: str) -> Iterator[str]:
    """A local model server at ``rate`` in a subprocess: ``python -m workbench serve`` for the
    scheduler, this script's ``--serve-old`` (the same ``serve()`` with the old pacing) for the
    baseline. Stopped with Ctrl-C."""
    if scheduler == "new":
        rate_args = ["--tokens-per-second", str(rate)] if rate else []
        args = ["-m", "workbench", "serve", "--port", "0", *rate_args]
    else:
        args = [str(Path(__file__).resolve()), "--serve-old", str(rate or 0)]
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_LOCAL_TOKENS_PER_SECOND"}
    with local_server(*args, env=env) as server:
        yield server.url


def serve_old(rate: float) -> None:
    """``--serve-old R``: the HTTP server with the old pacing, on any free port."""
    with old_pacing():
        _server.serve(LocalModel(pacing=Pacing(tokens_per_second=rate or None)), port=0)


# -- the table ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One requested rate: the delivered rate (median of runs) per path and scheduler."""

    requested: float | None
    chunks: int
    delivered: dict[str, float] = field(default_factory=dict)


def chunks_for(rate: float | None, seconds: float) -> int:
    """Content chunks for a run of about ``seconds`` (at least 30; 5,000 unpaced)."""
    return 5000 if rate is None else max(30, round(rate * seconds))


def run_rate(rate: float | None, seconds: float, repeat: int) -> Row:
    row = Row(rate, chunks_for(rate, seconds))
    schedulers = ("new", "old") if rate else ("new",)
    with contextlib.ExitStack() as stack:
        servers = {s: stack.enter_context(running_server(rate, s)) for s in schedulers}
        for path in PATHS:
            runs: dict[str, list[float]] = {s: [] for s in schedulers}
            for _ in range(repeat):  # round-robin, so drift on a busy machine hits both alike
                for scheduler in schedulers:
                    context = old_pacing() if scheduler == "old" else contextlib.nullcontext()
                    with context:
                        runs[scheduler].append(measure(path, rate, row.chunks, servers[scheduler]))
            for scheduler, values in runs.items():
                row.delivered[f"{path} {scheduler}"] = statistics.median(values)
    return row


def cell(value: float | None, requested: float | None) -> str:
    if value is None:
        return ""
    if requested is None:
        return f"{value:,.0f}"
    return f"{value:,.1f} ({value / requested:.0%})"


def report(rows: list[Row], seconds: float, repeat: int, quick: bool) -> bool:
    print(
        f"pacing benchmark{' (--quick: short runs, noisy)' if quick else ''}:"
        f" python {platform.python_version()}, httpx {httpx.__version__},"
        f" workbench {workbench.__version__}; {os.cpu_count()} CPUs;"
        f" about {seconds:g} s of chunks per run, median of {repeat}"
    )
    print("delivered tokens/s (% of requested), read with workbench's create(stream=True);")
    print("new: each chunk sent when due (workbench/local/_pacing.py); old: sleep 1/R per chunk")
    print()
    columns = [f"{path} {s}" for path in PATHS for s in ("new", "old")]
    print(f"{'requested':>10}  {'chunks':>6}  " + "  ".join(f"{c:>17}" for c in columns))
    for row in rows:
        label = "unpaced" if row.requested is None else f"{row.requested:,.0f}"
        cells = [cell(row.delivered.get(c), row.requested) for c in columns]
        print((f"{label:>10}  {row.chunks:>6}  " + "  ".join(f"{c:>17}" for c in cells)).rstrip())
    print()
    worst = min(
        (value / row.requested, name, row.requested)
        for row in rows
        if row.requested
        for name, value in row.delivered.items()
        if name.endswith(" new")
    )
    ok = worst[0] >= TARGET
    print(
        f"target: the scheduler delivers >= {TARGET:.0%} of every requested rate on every path:"
        f" lowest {worst[0]:.1%} ({worst[1]} at {worst[2]:,.0f}): {'PASS' if ok else 'FAIL'}"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", help="tokens/s, comma-separated (30,60,500,1000,2000,5000)")
    parser.add_argument("--seconds", type=float, help="seconds of chunks per run (default 1)")
    parser.add_argument("--repeat", type=int, help="runs per cell, median (default 3)")
    parser.add_argument("--no-unpaced", action="store_true", help="skip the unpaced row")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 60 and 1000, 0.3 s")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    parser.add_argument("--serve-old", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_old is not None:
        serve_old(args.serve_old)
        return 0
    rates = (
        tuple(float(r) for r in args.rates.split(","))
        if args.rates
        else (QUICK_RATES if args.quick else RATES)
    )
    seconds = args.seconds or (0.3 if args.quick else 1.0)
    repeat = args.repeat or (1 if args.quick else 3)
    rows = [run_rate(rate, seconds, repeat) for rate in rates]
    if not args.no_unpaced:
        rows.append(run_rate(None, seconds, repeat))
    ok = report(rows, seconds, repeat, args.quick)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = {"rows": [asdict(row) for row in rows], "target_met": ok}
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
