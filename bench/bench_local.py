"""Times the embedded local model: its core's chunk rate, its HTTP server's request rate, and the
in-process transport under workbench's client. Prints a table and the issue's two targets."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import workbench  # noqa: E402
from workbench.local import LocalModel  # noqa: E402

CHUNK_TARGET = 50_000
"""Chunks per second the core must serialize, so that client benchmarks measure the client."""
SERVER_TARGET = 500
"""Non-streamed requests per second the HTTP server must sustain from a local client."""
CONNECTIONS = 4
LONG_TEXT = " ".join(
    f"{word}{i}" for i in range(40) for word in ("tide", "harbour", "gull", "keel", "lantern")
)
STREAM_BODY = {
    "model": "gpt-4o-mini",  # this name's replies echo every word back (reversed): a long reply
    "messages": [{"role": "user", "content": f"Write at length about the sea: {LONG_TEXT}"}],
    "verbosity": "high",
    "max_completion_tokens": 100_000,
    "stream": True,
    "stream_options": {"include_usage": True},
}
SMALL_BODY = {"model": "workbench-local", "messages": [{"role": "user", "content": "Say hi"}]}


@dataclass
class Row:
    """One measurement: a rate, what it counts, and how it was taken."""

    label: str
    rate: float
    unit: str
    notes: str


def _best_of(repeat: int, run: Callable[[], int]) -> tuple[float, float]:
    """The highest rate (count / CPU seconds) over ``repeat`` runs, and its wall-clock rate."""
    rates: list[tuple[float, float]] = []
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        count = run()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        rates.append((count / max(cpu, 1e-9), count / max(wall, 1e-9)))
    return max(rates)


# -- (a) the core ------------------------------------------------------------------------------


def core_chunks(requests: int, repeat: int) -> Row:
    """Long streamed replies through ``LocalModel.handle``: every SSE event encoded to bytes."""
    model = LocalModel()
    body = json.dumps(STREAM_BODY).encode()
    per_request: list[int] = []

    def run() -> int:
        count = 0
        for _ in range(requests):
            answer = model.handle("POST", "/chat/completions", {}, {}, body)
            assert answer.status == 200 and answer.events is not None, answer.body
            n = sum(1 for _ in answer.events) - 1  # [DONE] is not a chunk
            count += n
        per_request.append(count // requests)
        return count

    run()  # warm-up
    cpu_rate, wall_rate = _best_of(repeat, run)
    return Row(
        "(a) core chunks: handle() -> encoded SSE events",
        cpu_rate,
        "chunks/s",
        f"{requests} requests x {per_request[-1]} chunks, best of {repeat} (CPU);"
        f" wall {wall_rate:,.0f}/s",
    )


# -- (b) the HTTP server -----------------------------------------------------------------------


@dataclass
class Server:
    url: str
    pid: int


@contextmanager
def running_server(*args: str, env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """``python -m workbench serve --port 0`` (or ``python *args``, a command that prints the
    server's URL first) in a subprocess; stopped with Ctrl-C (SIGINT)."""
    proc = subprocess.Popen(
        [sys.executable, *(args or ("-m", "workbench", "serve", "--port", "0"))],
        cwd=REPO_ROOT,
        env={**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line)
        if match is None:
            raise RuntimeError(f"the server printed {line!r}, not its URL")
        yield Server(match[1], proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _post_many(url: str, count: int) -> None:
    with httpx.Client(base_url=url) as client:  # one kept-alive connection
        for _ in range(count):
            response = client.post("/chat/completions", json=SMALL_BODY)
            if response.status_code != 200:
                raise RuntimeError(f"status {response.status_code}: {response.text[:200]}")


def server_rows(url: str, requests: int) -> list[Row]:
    """Non-streamed requests/s from raw httpx: one connection, then ``CONNECTIONS`` at once."""
    _post_many(url, 50)  # warm-up
    started = time.perf_counter()
    _post_many(url, requests)
    sequential = requests / (time.perf_counter() - started)

    each = max(1, requests // CONNECTIONS)
    threads = [threading.Thread(target=_post_many, args=(url, each)) for _ in range(CONNECTIONS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    concurrent = each * CONNECTIONS / (time.perf_counter() - started)
    return [
        Row(
            "(b) server req/s: raw httpx, 1 keep-alive connection",
            sequential,
            "req/s",
            f"{requests} sequential requests, wall clock",
        ),
        Row(
            f"(b) server req/s: raw httpx, {CONNECTIONS} connections",
            concurrent,
            "req/s",
            f"{CONNECTIONS} threads x {each} requests, wall clock",
        ),
    ]


# -- (c) in-process, through workbench's client -----------------------------------------------


def in_process_rows(requests: int, repeat: int) -> list[Row]:
    """workbench's ``Client(local=...)`` on the in-process transport: non-streamed, and streamed."""
    client = workbench.Client(local=LocalModel())
    messages: Any = SMALL_BODY["messages"]

    def plain() -> int:
        for _ in range(requests):
            client.chat.completions.create(model="workbench-local", messages=messages)
        return requests

    stream_kwargs: dict[str, Any] = {k: v for k, v in STREAM_BODY.items() if k != "stream"}
    streams = max(1, requests // 20)

    def streamed() -> int:
        count = 0
        for _ in range(streams):
            for _chunk in client.chat.completions.create(stream=True, **stream_kwargs):
                count += 1
        return count

    plain()
    rate, wall = _best_of(repeat, plain)
    chunk_rate, chunk_wall = _best_of(repeat, streamed)
    client.close()
    return [
        Row(
            "(c) in-process transport + workbench Client",
            rate,
            "req/s",
            f"{requests} non-streamed creates, best of {repeat} (CPU); wall {wall:,.0f}/s",
        ),
        Row(
            "(c) in-process + workbench create(stream=True)",
            chunk_rate,
            "chunks/s",
            f"{streams} long streams, typed chunks (CPU); wall {chunk_wall:,.0f}/s",
        ),
    ]


# -- the report --------------------------------------------------------------------------------


def report(rows: list[Row], server: Server, quick: bool) -> list[tuple[str, bool]]:
    import pydantic

    print(
        f"local model benchmark{' (--quick: small counts, noisy)' if quick else ''}:"
        f" python {platform.python_version()}, httpx {httpx.__version__},"
        f" pydantic {pydantic.VERSION}, workbench {workbench.__version__}; {os.cpu_count()} CPUs"
    )
    print(f"server: {server.url}, pid {server.pid} (python -m workbench serve)")
    print()
    width = max(len(row.label) for row in rows)
    print(f"{'measure':<{width}}  {'rate':>10}  {'unit':<8}  notes")
    for row in rows:
        print(f"{row.label:<{width}}  {row.rate:>10,.0f}  {row.unit:<8}  {row.notes}")
    print()
    core = rows[0].rate
    http = min(row.rate for row in rows if row.label.startswith("(b)"))
    verdicts = [
        (f"core chunks >= {CHUNK_TARGET:,}/s (CPU): {core:,.0f}/s", core >= CHUNK_TARGET),
        (
            f"server >= {SERVER_TARGET} req/s (the lower of the (b) rows): {http:,.0f}/s",
            http >= SERVER_TARGET,
        ),
    ]
    for text, ok in verdicts:
        print(f"target: {text}: {'PASS' if ok else 'FAIL'}")
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--requests", type=int, help="requests per measurement (default 2000)")
    parser.add_argument("--repeat", type=int, help="runs of each in-process measurement (3)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    requests = args.requests or (200 if args.quick else 2000)
    repeat = args.repeat or (1 if args.quick else 3)

    rows = [core_chunks(max(5, requests // 20), repeat)]
    with running_server() as server:
        rows += server_rows(server.url, requests)
    rows += in_process_rows(requests, repeat)
    verdicts = report(rows, server, args.quick)
    print(f"server stopped (pid {server.pid})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = {"rows": [asdict(row) for row in rows], "targets": dict(verdicts)}
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    if args.check and not all(ok for _, ok in verdicts):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
