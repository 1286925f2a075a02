"""Times non-streamed chat completions, one after another: raw httpx, workbench and openai 1.106.1.

The issue's target: a non-streamed ``client.chat.completions.create()`` costs at most 1.1x the CPU
time per request of the raw floor (an httpx ``post`` plus ``json.loads`` of the body), sync
against the sync floor and async against the async floor. The server (``sse_server.py``) runs in
a subprocess whose CPU is not counted; each contender sends ``--requests`` requests (200) in a row
over one kept-alive connection per round, round-robin over ``--repeat`` rounds (35), and the
table shows the median round's CPU time (``time.process_time``) per request. A ratio to the floor
is the median over the rounds of the two rounds' ratio (they run back to back, so a change of
load falls on both).

``--in-process`` answers from an ``httpx.MockTransport`` instead (no sockets): the clients' own
CPU, for reference. ``--profile workbench`` prints where workbench's requests spend it (cProfile).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from bench_streaming import (
    API_KEY,
    Row,
    Server,
    Unavailable,
    _check,
    _describe,
    _import_workbench,
    _versions,
    close_all,
    print_table,
    run_rounds,
    running_server,
    write_json,
)
from sse_server import MODEL, completion_body, expected_result

MESSAGES = [{"role": "user", "content": "Tell me a short story about a fox."}]
LIMIT = 1.1
"""Target: workbench's CPU per request at most this many times the raw floor's (same I/O kind)."""


@dataclass(frozen=True)
class Target:
    """Where the contenders send: the server's base URL, the benchmark's event loop, and with
    ``--in-process`` a transport that answers in this process instead of over a socket."""

    base_url: str
    loop: asyncio.AbstractEventLoop
    transport: httpx.MockTransport | None = None
    given: list[httpx.Client | httpx.AsyncClient] = field(default_factory=list)

    def pool(self) -> httpx.Client:
        """A new httpx client for a raw floor."""
        return httpx.Client(timeout=120, transport=self.transport)

    def async_pool(self) -> httpx.AsyncClient:
        """A new async httpx client for a raw floor."""
        return httpx.AsyncClient(timeout=120, transport=self.transport)

    def client_kwargs(self, kind: str) -> dict[str, Any]:
        """What a typed client is made with: the server, and in-process an httpx client (of the
        ``kind`` the client class takes) over the transport."""
        kwargs: dict[str, Any] = {"base_url": self.base_url, "api_key": API_KEY}
        if self.transport is not None:
            pool = self.async_pool() if "Async" in kind else self.pool()
            self.given.append(pool)
            kwargs["http_client"] = pool
        return kwargs

    def close(self) -> None:
        """Close the httpx clients given to typed clients (which leave them open)."""
        for pool in self.given:
            if isinstance(pool, httpx.AsyncClient):
                self.loop.run_until_complete(pool.aclose())
            else:
                pool.close()


@dataclass
class Runner:
    """One ready contender: ``run(n)`` sends ``n`` requests in a row and returns the last reply's
    text (to check it against what the server sent)."""

    run: Callable[[int], str]
    close: Callable[[], None]


@dataclass(frozen=True)
class Contender:
    """A way to send the requests, and the floor it is held to (None: a floor itself)."""

    key: str
    label: str
    setup: Callable[[Target], Runner]
    floor: str | None = None


@dataclass
class Result:
    """The CPU and wall seconds per request of each round of one contender, or why there are
    none."""

    contender: Contender
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def cpu_us(self) -> float:
        """The median round's CPU microseconds per request."""
        return statistics.median(self.cpu) * 1e6

    @property
    def wall_us(self) -> float:
        """The median round's wall-clock microseconds per request."""
        return statistics.median(self.wall) * 1e6

    @property
    def spread(self) -> float:
        """(slowest - fastest) / median of the rounds' CPU times: a noise gauge."""
        return (max(self.cpu) - min(self.cpu)) / statistics.median(self.cpu)


# -- contenders ---------------------------------------------------------------------------------


def _raw_request(base_url: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The URL, JSON body and headers the floors post: what every contender sends."""
    body = {"model": MODEL, "messages": MESSAGES}
    return f"{base_url}/chat/completions", body, {"Authorization": f"Bearer {API_KEY}"}


def _raw(target: Target) -> Runner:
    """The floor: ``httpx.Client.post`` and ``json.loads``; no validation, no objects."""
    client = target.pool()
    url, body, headers = _raw_request(target.base_url)

    def run(n: int) -> str:
        for _ in range(n):
            response = client.post(url, json=body, headers=headers)
            response.raise_for_status()
            data = json.loads(response.content)
        return str(data["choices"][0]["message"]["content"])

    return Runner(run, client.close)


def _raw_async(target: Target) -> Runner:
    """The async floor: ``httpx.AsyncClient.post`` and ``json.loads``."""
    client = target.async_pool()
    url, body, headers = _raw_request(target.base_url)
    loop = target.loop

    async def many(n: int) -> str:
        for _ in range(n):
            response = await client.post(url, json=body, headers=headers)
            response.raise_for_status()
            data = json.loads(response.content)
        return str(data["choices"][0]["message"]["content"])

    return Runner(lambda n: loop.run_until_complete(many(n)), _closer(client.aclose, loop))


def _sync_client(client: Any) -> Runner:
    """A typed client (workbench's or openai's) sending ``create()`` and reading the reply."""

    def run(n: int) -> str:
        for _ in range(n):
            completion = client.chat.completions.create(model=MODEL, messages=MESSAGES)
        return str(completion.choices[0].message.content)

    return Runner(run, client.close)


def _async_client(client: Any, loop: asyncio.AbstractEventLoop) -> Runner:
    """The async twin of ``_sync_client``, on the benchmark's one event loop."""

    async def many(n: int) -> str:
        for _ in range(n):
            completion = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        return str(completion.choices[0].message.content)

    return Runner(lambda n: loop.run_until_complete(many(n)), _closer(client.close, loop))


def _closer(close: Callable[[], Any], loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    return lambda: loop.run_until_complete(close())


def _workbench(kind: str, target: Target) -> Any:
    workbench = _import_workbench()
    cls = getattr(workbench, kind, None)
    if cls is None:
        raise Unavailable(f"workbench.{kind} does not exist")
    return cls(**target.client_kwargs(kind))


def _openai(kind: str, target: Target) -> Any:
    try:
        import openai
    except ImportError as exc:
        raise Unavailable(f"import openai failed: {exc}") from exc
    if openai.__version__ != "1.106.1":
        print(f"note: openai is {openai.__version__}, not the pinned 1.106.1", file=sys.stderr)
    return getattr(openai, kind)(**target.client_kwargs(kind), max_retries=0)


# Each floor is followed by the workbench client held to it: their rounds run back to back.
CONTENDERS = (
    Contender("raw", "raw httpx post + json.loads", _raw),
    Contender(
        "workbench",
        "workbench Client.create",
        lambda t: _sync_client(_workbench("Client", t)),
        "raw",
    ),
    Contender(
        "openai", "openai 1.106.1 OpenAI.create", lambda t: _sync_client(_openai("OpenAI", t))
    ),
    Contender("raw-async", "raw httpx async post + json.loads", _raw_async),
    Contender(
        "workbench-async",
        "workbench AsyncClient.create",
        lambda t: _async_client(_workbench("AsyncClient", t), t.loop),
        "raw-async",
    ),
    Contender(
        "openai-async",
        "openai 1.106.1 AsyncOpenAI.create",
        lambda t: _async_client(_openai("AsyncOpenAI", t), t.loop),
    ),
)


# -- measuring ----------------------------------------------------------------------------------


def measure(
    contenders: list[Contender], target: Target, expected: str, requests: int, repeat: int
) -> list[Result]:
    """Warm each contender up (``_warm_up``, not counted), then run the rounds
    round-robin, so drift on a busy machine falls on every contender alike."""
    results = [Result(c) for c in contenders]
    runners: dict[str, Runner] = {}
    try:
        for result in results:
            try:
                runner = result.contender.setup(target)
                runners[result.contender.key] = runner
                _check(runner.run(_warm_up(requests)), expected)
            except Exception as exc:
                result.error = f"unavailable: {_describe(exc)}"
        rounds = {key: functools.partial(runner.run, requests) for key, runner in runners.items()}
        run_rounds(results, rounds, expected, repeat)
    finally:
        close_all(runner.close for runner in runners.values())
    for result in results:  # a round's seconds, per request
        result.cpu = [seconds / requests for seconds in result.cpu]
        result.wall = [seconds / requests for seconds in result.wall]
    return results


def _warm_up(requests: int) -> int:
    """Requests sent before the rounds (not counted): connections, caches, lazy imports."""
    return max(50, requests // 10)


def profile(contender: Contender, target: Target, expected: str, requests: int) -> None:
    """cProfile ``requests`` requests of one contender (after its warm-up) and print where the
    time goes: the functions with the most time of their own, then workbench's by total time."""
    import cProfile
    import pstats

    runner = contender.setup(target)
    try:
        _check(runner.run(_warm_up(requests)), expected)
        profiler = cProfile.Profile()
        profiler.enable()
        answer = runner.run(requests)
        profiler.disable()
        _check(answer, expected)
    finally:
        close_all([runner.close])
    stats = pstats.Stats(profiler, stream=sys.stdout)
    print(f"cProfile of {requests:,} requests: {contender.label}")
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(r"workbench[/\\]", 20)


def _in_process(args: argparse.Namespace) -> httpx.MockTransport:
    """A transport answering every request in this process with the server's reply: what is
    left is each client's own CPU, without the sockets' (and their noise)."""
    headers = {"content-type": "application/json"}
    body = completion_body(args.reply_chunks)
    return httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, content=body))


# -- reporting ----------------------------------------------------------------------------------


def report(results: list[Result], args: argparse.Namespace, server: Server) -> list[bool | None]:
    """Print the table and the verdicts; return each verdict (None when it could not be judged)."""
    ok = {r.contender.key: r for r in results if r.error is None}
    print(
        f"non-streamed requests benchmark: {args.requests:,} sequential requests per round,"
        f" median of {args.repeat} rounds after a warm-up; a reply of {args.reply_chunks} pieces"
    )
    if args.in_process:
        print("in process: an httpx.MockTransport gives the server's reply; no sockets")
    else:
        print(f"server: {server.base_url}, pid {server.pid}, stopped (its CPU is not counted)")
    print(f"{_versions()}; {os.cpu_count()} CPUs")
    print()
    header = ("contender", "CPU us/req", "wall us/req", "spread", "vs floor")
    widths = (35, 12, 13, 8, 10)
    print_table(header, widths, [_row(result, ok) for result in results])
    print()
    verdicts: list[bool | None] = []
    for result in results:
        floor_key = result.contender.floor
        if floor_key is None:
            continue
        name = f"{result.contender.label} <= {LIMIT}x {floor_key} floor (CPU)"
        if args.in_process:  # the target is measured over sockets; this shows the client alone
            name += " [in process: for reference]"
        floor = next((r for r in results if r.contender.key == floor_key), None)
        if floor is None:
            print(f"verdict: {name}: SKIPPED (the floor was not run; see --only)")
            continue
        if result.error is not None or floor.error is not None:
            print(f"verdict: {name}: UNKNOWN (no measurement)")
            verdicts.append(None)
            continue
        ratio = paired_ratio(result, floor)
        print(f"verdict: {name}: {'PASS' if ratio <= LIMIT else 'MISS'} ({ratio:.2f}x)")
        verdicts.append(ratio <= LIMIT)
    return verdicts


def _row(result: Result, ok: dict[str, Result]) -> Row:
    if result.error is not None:
        return result.contender.label, result.error
    floor = ok.get(_floor_of(result.contender))
    vs = f"{paired_ratio(result, floor):.2f}x" if floor is not None else "-"
    cells = (f"{result.cpu_us:.1f}", f"{result.wall_us:.1f}", f"{result.spread:.0%}", vs)
    return result.contender.label, cells


def paired_ratio(result: Result, floor: Result) -> float:
    """The median over the rounds of a round's CPU per request / the floor's in the same round.

    The two rounds ran one after the other, so a change of load on the machine between rounds
    falls on both; the median of these ratios swings less than the ratio of the medians.
    """
    return statistics.median(r / f for r, f in zip(result.cpu, floor.cpu, strict=True))


def _floor_of(contender: Contender) -> str:
    """The floor a row is divided by: its own, else the floor of its kind (sync or async)."""
    if contender.floor is not None:
        return contender.floor
    return "raw-async" if contender.key.endswith("async") else "raw"


def _write_json(path: Path, results: list[Result], args: argparse.Namespace) -> None:
    def numbers(r: Result) -> dict[str, Any]:
        per_request = {"cpu_us_per_request": r.cpu_us, "wall_us_per_request": r.wall_us}
        return per_request | {"cpu_s_per_request": r.cpu, "wall_s_per_request": r.wall}

    fields = {"requests": args.requests, "repeat": args.repeat, "reply_chunks": args.reply_chunks}
    write_json(path, results, numbers, fields)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; with ``--check``, exit 1 on a missed target."""
    parser = argparse.ArgumentParser(description=__doc__)
    # Many short rounds: each ratio pairs two rounds a fraction of a second apart, and the median
    # of 35 ratios moved by about 0.03 between runs where that of 7 rounds of 1,000 moved by 0.1.
    parser.add_argument("--requests", type=int, default=200, help="per round (default 200)")
    parser.add_argument("--repeat", type=int, default=35, help="rounds (default 35)")
    parser.add_argument(
        "--reply-chunks", type=int, default=100, help="the reply's length in pieces (default 100)"
    )
    keys = ", ".join(c.key for c in CONTENDERS)
    parser.add_argument("--only", help=f"comma-separated subset of: {keys}")
    parser.add_argument(
        "--quick", action="store_true", help="100 requests x 2 rounds (a smoke run)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--profile",
        metavar="KEY",
        help="instead of the table, cProfile one contender's --requests requests (e.g. workbench)",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="answer from an httpx.MockTransport in this process, not the server: no sockets",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.repeat = 100, 2
    if args.check and args.in_process:
        parser.error("--check judges the target, which is measured over sockets: no --in-process")
    if args.requests < 1 or args.repeat < 1 or args.reply_chunks < 2:
        parser.error("--requests and --repeat must be >= 1, --reply-chunks >= 2")
    wanted = [k.strip() for k in args.only.split(",")] if args.only else [c.key for c in CONTENDERS]
    if args.profile:
        wanted = [args.profile]
    unknown = set(wanted) - {c.key for c in CONTENDERS}
    if unknown:
        parser.error(f"unknown contender(s) {', '.join(sorted(unknown))}; choose from {keys}")

    for name in ("NO_PROXY", "no_proxy"):  # loopback must never go through a proxy
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), "127.0.0.1"]))
    contenders = [c for c in CONTENDERS if c.key in wanted]
    expected = expected_result(args.reply_chunks)
    loop = asyncio.new_event_loop()
    try:
        with running_server(args.reply_chunks, "text", "length") as server:
            target = Target(server.base_url, loop, _in_process(args) if args.in_process else None)
            try:
                if args.profile:
                    profile(contenders[0], target, expected, args.requests)
                    return 0
                results = measure(contenders, target, expected, args.requests, args.repeat)
            finally:
                target.close()
    finally:
        loop.close()
    verdicts = report(results, args, server)
    if args.json is not None:
        _write_json(args.json, results, args)
    return 1 if args.check and not all(verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
