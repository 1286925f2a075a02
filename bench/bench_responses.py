"""Times consuming a streamed Response, per event: the raw httpx floor, openai 1.106.1, workbench.

The issue's target: ``client.responses.create(stream=True)`` costs at most 1.5x the raw floor's
CPU per event (httpx ``iter_lines`` + ``json.loads`` of each ``data:`` line). The stream is a
recorded one (``tests/fixtures/recorded-responses-streams/reasoning-summary.sse``: o3-mini, a
reasoning summary then text, 676 events, 195 KB), served by an ``httpx.MockTransport`` in this
process, each event in its own piece as the API frames it, so that what is timed is the clients'
own work. Each contender reads ``--requests`` streams in a row per round, sync and async (on one
event loop), round-robin over ``--repeat`` rounds; the table shows the median round's CPU time
(``time.process_time``) per event, and each ratio is the median over the rounds of the two
rows' ratio in the same round (a change of load falls on both). Each contender's assembled text
is checked against the recording's, so one that drops events shows as failed instead of fast.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from bench_requests import paired_ratio
from bench_streaming import (
    API_KEY,
    REPO_ROOT,
    Contender,
    Result,
    Row,
    Runner,
    _check,
    _import_workbench,
    _versions,
    import_openai,
    measure_against,
    parse_only,
    print_table,
    write_json,
)

FIXTURE = REPO_ROOT / "tests/fixtures/recorded-responses-streams/reasoning-summary.sse"
BASE_URL = "http://bench.invalid/v1"
REQUEST: dict[str, Any] = {
    "model": "o3-mini",
    "input": "Tell me a long story about a fox.",
    "reasoning": {"effort": "high", "summary": "detailed"},
}
RAW_LIMIT = 1.5
"""Target: workbench's ``create(stream=True)`` costs at most this many times the floor per event."""
TEXT_DELTA = "response.output_text.delta"


# -- the recorded stream, served in process -----------------------------------------------------


@dataclass(frozen=True)
class Recording:
    """The recorded body cut into one piece per event, and the text it carries."""

    pieces: tuple[bytes, ...]
    text: str

    @property
    def events(self) -> int:
        """How many events the body holds."""
        return len(self.pieces)


def load_recording(path: Path = FIXTURE) -> Recording:
    """Split the recording at its blank lines (each event its own piece) and find its text."""
    body = path.read_bytes().replace(b"\r\n", b"\n")
    pieces = tuple(p + b"\n\n" for p in body.split(b"\n\n") if p.strip())
    text = "".join(
        event["delta"]
        for event in (json.loads(p.split(b"data: ", 1)[1]) for p in pieces)
        if event["type"] == TEXT_DELTA
    )
    return Recording(pieces, text)


class _Pieces(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body handed up one recorded event at a time, to sync and async clients."""

    def __init__(self, pieces: tuple[bytes, ...]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._pieces)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self._pieces:
            yield piece


FRAMINGS = ("event", "whole")


def transport(recording: Recording, framing: str = "event") -> httpx.MockTransport:
    """Answer every request with the recorded stream: one piece per event, or (``whole``) the
    body in one piece, which makes the floor's per-piece work vanish and every ratio larger."""
    headers = {"content-type": "text/event-stream; charset=utf-8"}
    if framing == "whole":
        recording = Recording((b"".join(recording.pieces),), recording.text)

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, stream=_Pieces(recording.pieces))

    return httpx.MockTransport(handle)


@dataclass(frozen=True)
class Target:
    """What every contender needs: the transport, the event loop, the stream's text."""

    transport: httpx.MockTransport
    loop: asyncio.AbstractEventLoop
    requests: int

    def sync_pool(self) -> httpx.Client:
        """An httpx client over the recording."""
        return httpx.Client(transport=self.transport, timeout=120)

    def async_pool(self) -> httpx.AsyncClient:
        """An async httpx client over the recording."""
        return httpx.AsyncClient(transport=self.transport, timeout=120)


# -- contenders ---------------------------------------------------------------------------------


def _raw_lines(lines: Iterator[str], parts: list[str]) -> None:
    for line in lines:
        if line.startswith("data: "):
            event = json.loads(line[6:])
            if event["type"] == TEXT_DELTA:
                parts.append(event["delta"])


def _raw(target: Target) -> Runner:
    client = target.sync_pool()
    url, body = f"{BASE_URL}/responses", {**REQUEST, "stream": True}
    headers = {"Authorization": f"Bearer {API_KEY}"}

    def run() -> str:
        parts: list[str] = []
        for _ in range(target.requests):
            parts.clear()
            with client.stream("POST", url, json=body, headers=headers) as response:
                response.raise_for_status()
                _raw_lines(response.iter_lines(), parts)
        return "".join(parts)

    return Runner(run, client.close)


def _raw_async(target: Target) -> Runner:
    client = target.async_pool()
    url, body = f"{BASE_URL}/responses", {**REQUEST, "stream": True}
    headers = {"Authorization": f"Bearer {API_KEY}"}

    async def many() -> str:
        parts: list[str] = []
        for _ in range(target.requests):
            parts.clear()
            async with client.stream("POST", url, json=body, headers=headers) as response:
                response.raise_for_status()
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        event = json.loads(line[6:])
                        if event["type"] == TEXT_DELTA:
                            parts.append(event["delta"])
        return "".join(parts)

    return Runner(lambda: target.loop.run_until_complete(many()), _closer(client.aclose, target))


def _texts(events: Any) -> str:
    """Iterate typed events as an app would: keep the text deltas."""
    return "".join(e.delta for e in events if e.type == TEXT_DELTA)


def _sync_create(client: Any, target: Target) -> Runner:
    def run() -> str:
        text = ""
        for _ in range(target.requests):
            text = _texts(client.responses.create(**REQUEST, stream=True))
        return text

    return Runner(run, client.close)


def _sync_stream(client: Any, target: Target) -> Runner:
    def run() -> str:
        text = ""
        for _ in range(target.requests):
            with client.responses.stream(**REQUEST) as stream:
                for _event in stream:
                    pass
                text = stream.get_final_response().output_text
        return text

    return Runner(run, client.close)


def _async_create(client: Any, target: Target) -> Runner:
    async def many() -> str:
        text = ""
        for _ in range(target.requests):
            parts = []
            async for event in await client.responses.create(**REQUEST, stream=True):
                if event.type == TEXT_DELTA:
                    parts.append(event.delta)
            text = "".join(parts)
        return text

    return Runner(lambda: target.loop.run_until_complete(many()), _closer(client.close, target))


def _async_stream(client: Any, target: Target) -> Runner:
    async def many() -> str:
        text = ""
        for _ in range(target.requests):
            async with client.responses.stream(**REQUEST) as stream:
                async for _event in stream:
                    pass
                text = (await stream.get_final_response()).output_text
        return text

    return Runner(lambda: target.loop.run_until_complete(many()), _closer(client.close, target))


def _closer(close: Callable[[], Any], target: Target) -> Callable[[], None]:
    return lambda: target.loop.run_until_complete(close())


def _workbench(kind: str, target: Target) -> Any:
    workbench = _import_workbench()
    pool = target.async_pool() if kind.startswith("Async") else target.sync_pool()
    return getattr(workbench, kind)(base_url=BASE_URL, api_key=API_KEY, http_client=pool)


def _openai(kind: str, target: Target) -> Any:
    pool = target.async_pool() if kind.startswith("Async") else target.sync_pool()
    return getattr(import_openai(), kind)(base_url=BASE_URL, api_key=API_KEY, http_client=pool)


def _contenders() -> tuple[Contender, ...]:
    """Per I/O kind: the floor, then openai and workbench on each path (create, stream)."""
    kinds = (
        ("", _raw, "OpenAI", "Client", _sync_create, _sync_stream),
        ("async ", _raw_async, "AsyncOpenAI", "AsyncClient", _async_create, _async_stream),
    )
    found: list[Contender] = []
    for mode, floor, theirs, ours, create, stream in kinds:
        key = mode.replace(" ", "-")
        label = f"raw httpx {mode}+ json.loads (floor)"
        found.append(Contender(f"raw{'-async' if mode else ''}", label, floor))
        for name, make, build in (("openai", _openai, theirs), ("workbench", _workbench, ours)):
            for path, what, runner in (
                ("create", "create(stream=True)", create),
                ("stream", ".stream() + final", stream),
            ):
                match = None if name == "openai" else f"openai-{key}{path}"
                setup = functools.partial(_setup, runner, make, build)
                label = f"{name} {mode}{what}"
                found.append(Contender(f"{name}-{key}{path}", label, setup, match))
    return tuple(found)


def _setup(runner: Any, make: Any, kind: str, target: Target) -> Runner:
    return runner(make(kind, target), target)  # type: ignore[no-any-return]


CONTENDERS = _contenders()
GROUPS = {
    "sync": tuple(c.key for c in CONTENDERS if "async" not in c.key),
    "async": tuple(c.key for c in CONTENDERS if "async" in c.key),
    "openai": tuple(c.key for c in CONTENDERS if c.key.startswith("openai")),
    "workbench": tuple(c.key for c in CONTENDERS if c.key.startswith("workbench")),
}


_STREAM_KEYS = ("workbench-stream", "workbench-async-stream")


def _floor_of(key: str) -> str:
    return "raw-async" if "async" in key else "raw"


# -- measuring and reporting --------------------------------------------------------------------


def report(results: list[Result], per: int, args: argparse.Namespace) -> list[bool | None]:
    """Print the table and the verdicts; return each verdict (None when it could not be judged)."""
    ok = {r.contender.key: r for r in results if r.error is None}
    by_key = {r.contender.key: r for r in results}
    print(
        f"Responses streaming benchmark: {FIXTURE.name}, {per // args.requests:,} events a stream,"
        f" {args.requests} streams a round, median of {args.repeat} rounds after 1 warm-up"
    )
    framing = "one piece per event" if args.framing == "event" else "the body in one piece"
    print(f"in process: an httpx.MockTransport, {framing}; {_versions()}; {os.cpu_count()} CPUs")
    print()
    rows: list[Row] = []
    for result in results:
        if result.error is not None:
            rows.append((result.contender.label, result.error))
            continue
        floor = ok.get(_floor_of(result.contender.key))
        theirs = ok.get(result.contender.openai_key or "")
        cells = (
            f"{result.cpu_us(per):.2f}",
            f"{result.wall_us(per):.2f}",
            f"{result.spread:.0%}",
            f"{paired_ratio(result, floor):.2f}x" if floor is not None else "-",
            f"{paired_ratio(result, theirs):.2f}x" if theirs is not None else "-",
        )
        rows.append((result.contender.label, cells))
    header = ("contender", "CPU us/event", "wall us/event", "spread", "vs raw", "vs openai")
    print_table(header, (36, 14, 15, 8, 9, 11), rows)
    print()
    verdicts: list[bool | None] = []
    for key in ("workbench-create", "workbench-async-create", *_STREAM_KEYS):
        wb, floor = by_key.get(key), by_key.get(_floor_of(key))
        kind = "note" if key in _STREAM_KEYS else "verdict"
        name = f"{key.replace('-', ' ')} <= {RAW_LIMIT}x raw floor (CPU)"
        if wb is None or floor is None:
            print(f"{kind}: {name}: SKIPPED (not run; see --only)")
            continue
        if wb.error is not None or floor.error is not None:
            print(f"{kind}: {name}: UNKNOWN (a row has no measurement)")
            if kind == "verdict":
                verdicts.append(None)
            continue
        ratio = paired_ratio(wb, floor)
        if kind == "note":  # reported, not a target of the issue
            print(f"note: {key.replace('-', ' ')} / raw floor (CPU): {ratio:.2f}x (not a target)")
            continue
        verdict = "PASS" if ratio <= RAW_LIMIT else "MISS"
        print(f"verdict: {name}: {verdict} ({ratio:.2f}x, limit {RAW_LIMIT:.1f}x)")
        verdicts.append(ratio <= RAW_LIMIT)
    return verdicts


def profile(contender: Contender, target: Target, expected: str) -> None:
    """Run one contender under cProfile and print where its time goes."""
    import cProfile
    import pstats

    runner = contender.setup(target)  # type: ignore[arg-type]
    try:
        _check(runner.run(), expected)
        profiler = cProfile.Profile()
        profiler.enable()
        runner.run()
        profiler.disable()
    finally:
        runner.close()
    print(f"cProfile of {target.requests} streams: {contender.label}")
    stats = pstats.Stats(profiler).sort_stats("tottime")
    stats.print_stats(25)


def _parse_only(value: str) -> list[str]:
    return parse_only(value, CONTENDERS, GROUPS)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; with ``--check``, exit 1 on a missed target."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="streams a round (default 20)")
    parser.add_argument("--repeat", type=int, default=15, help="measured rounds (default 15)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 streams x 2 rounds")
    parser.add_argument("--only", type=_parse_only, help="a comma-separated subset of contenders")
    parser.add_argument("--profile", metavar="KEY", help="cProfile one contender instead")
    parser.add_argument(
        "--framing",
        choices=FRAMINGS,
        default="event",
        help="event: one piece per event, as the API sends (default); whole: one piece",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.repeat = 2, 2
    if args.requests < 1 or args.repeat < 1:
        parser.error("--requests and --repeat must be >= 1")
    recording = load_recording()
    loop = asyncio.new_event_loop()
    try:
        target = Target(transport(recording, args.framing), loop, args.requests)
        if args.profile:
            (contender,) = [c for c in CONTENDERS if c.key == args.profile]
            profile(contender, target, recording.text)
            return 0
        wanted = args.only or [c.key for c in CONTENDERS]
        contenders = [c for c in CONTENDERS if c.key in wanted]
        results = measure_against(contenders, target, recording.text, args.repeat)
    finally:
        loop.close()
    per = recording.events * args.requests  # the events, not the pieces
    verdicts = report(results, per, args)
    if args.json is not None:
        write_json(
            args.json,
            results,
            lambda r: {"cpu_us_per_event": r.cpu_us(per), "cpu_s": r.cpu, "wall_s": r.wall},
            {"fixture": FIXTURE.name, "events": recording.events, "requests": args.requests},
        )
    if args.check and not all(verdicts):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
