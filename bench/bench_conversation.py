"""Times a long streamed reply through ``Conversation`` against the same stream via the client."""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench_streaming import API_KEY, MESSAGES, REPO_ROOT, running_server
from sse_server import EXTRA_CHUNKS, MODEL, expected_result

LIMIT = 1.3
"""Target (issue 4): the conversation with one observer costs at most this many times the client."""
PROMPT = MESSAGES[0]["content"]


@dataclass
class Row:
    """One way to consume the stream, and its measured CPU and wall seconds per run."""

    label: str
    run: Callable[[], str]
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    def us(self, times: list[float], per: int) -> float:
        """Median microseconds per chunk."""
        return statistics.median(times) / per * 1e6

    @property
    def spread(self) -> float:
        """(max - min) / median of the CPU times: a quick noise gauge."""
        return (max(self.cpu) - min(self.cpu)) / statistics.median(self.cpu)


def _bare(client: Any) -> Callable[[], str]:
    def run() -> str:
        with client.chat.completions.stream(model=MODEL, messages=MESSAGES) as stream:
            for _event in stream:
                pass
            completion = stream.get_final_completion()
        return str(completion.choices[0].message.content)

    return run


def _conversation(client: Any) -> Callable[[], str]:
    from workbench import Conversation

    def run() -> str:
        chat = Conversation(client=client, model=MODEL)
        deltas = 0

        def count(event: Any) -> None:
            nonlocal deltas
            if event.type == "content.delta":
                deltas += 1

        chat.subscribe(count)
        reply = chat.send(PROMPT)
        if reply.status != "complete" or deltas == 0:
            raise RuntimeError(f"the turn ended {reply.status} after {deltas} deltas")
        return reply.text

    return run


def _timed(run: Callable[[], str]) -> tuple[float, float, str]:
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = run()
    wall1, cpu1 = time.perf_counter(), time.process_time()
    return cpu1 - cpu0, wall1 - wall0, result


def measure(rows: list[Row], chunks: int, repeat: int) -> None:
    """One warm-up each (checking the assembled text), then ``repeat`` rounds, round-robin."""
    expected = expected_result(chunks)
    for row in rows:
        _, _, result = _timed(row.run)
        if result != expected:
            raise RuntimeError(f"{row.label}: assembled {len(result)} chars, not {len(expected)}")
    for _ in range(repeat):
        for row in rows:
            cpu, wall, _ = _timed(row.run)
            row.cpu.append(cpu)
            row.wall.append(wall)


def report(rows: list[Row], chunks: int, repeat: int, server: str) -> bool:
    """Print the table and the verdict; return whether the target holds."""
    import httpx
    import pydantic

    import workbench

    per = chunks + EXTRA_CHUNKS
    print(
        f"conversation benchmark: {chunks:,} content chunks = {per:,} data chunks + [DONE],"
        f" median of {repeat} after 1 warm-up"
    )
    print(f"server: {server} (bench/sse_server.py), stopped; its CPU is not counted")
    print(
        f"python {sys.version.split()[0]}, httpx {httpx.__version__}, pydantic"
        f" {pydantic.VERSION}, workbench {workbench.__version__}; {os.cpu_count()} CPUs"
    )
    print()
    print(f"{'path':<44}{'CPU us/chunk':>14}{'wall us/chunk':>15}{'spread':>8}{'vs client':>11}")
    base = rows[0].us(rows[0].cpu, per)
    for row in rows:
        cpu = row.us(row.cpu, per)
        print(
            f"{row.label:<44}{cpu:>14.1f}{row.us(row.wall, per):>15.1f}"
            f"{row.spread:>8.0%}{cpu / base:>10.2f}x"
        )
    ratio = rows[1].us(rows[1].cpu, per) / base
    passed = ratio <= LIMIT
    print()
    print(
        f"verdict: conversation + 1 observer <= {LIMIT}x client .stream() (CPU):"
        f" {'PASS' if passed else 'FAIL'} ({ratio:.2f}x, limit {LIMIT}x)"
    )
    return passed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; with ``--check``, exit 1 when the target fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=20_000, help="content chunks (default 20000)")
    parser.add_argument("--repeat", type=int, default=7, help="measured runs each (default 7)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 500 chunks, 2 repeats")
    parser.add_argument("--check", action="store_true", help="exit 1 when the target fails")
    args = parser.parse_args(argv)
    if args.quick:
        args.chunks, args.repeat = 500, 2
    if args.chunks < 2 or args.repeat < 1:
        parser.error("--chunks must be >= 2 and --repeat >= 1")
    for name in ("NO_PROXY", "no_proxy"):  # loopback must never go through a proxy
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), "127.0.0.1"]))
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import workbench

    with running_server(args.chunks, "text", "chunked") as server:
        client = workbench.Client(base_url=server.base_url, api_key=API_KEY, max_retries=0)
        rows = [
            Row("client .stream() + get_final_completion()", _bare(client)),
            Row("Conversation.send() + 1 observer", _conversation(client)),
        ]
        try:
            measure(rows, args.chunks, args.repeat)
        finally:
            client.close()
    passed = report(rows, args.chunks, args.repeat, f"{server.base_url}, pid {server.pid}")
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
