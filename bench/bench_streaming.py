"""Times consuming a long chat-completion stream: the raw httpx floor, openai 1.106.1, workbench."""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import queue
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sse_server import EXTRA_CHUNKS, MODEL, TOOL_NAME, TRANSFERS, VARIANTS, expected_result

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
SERVER_SCRIPT = BENCH_DIR / "sse_server.py"
API_KEY = "bench"
MESSAGES = [{"role": "user", "content": "Tell me a long story about a fox."}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": TOOL_NAME,
            "description": "Record a piece of text.",
            "parameters": {
                "type": "object",
                "properties": {"text": {"type": "string"}},
                "required": ["text"],
                "additionalProperties": False,
            },
            "strict": True,
        },
    }
]
RAW_LIMIT = 1.5
"""Target: each workbench path costs at most this many times the raw floor per chunk."""


class Unavailable(Exception):
    """A contender cannot run here (not installed, not written yet, or broken)."""


@dataclass(frozen=True)
class Settings:
    """What every contender needs to reach the server and check its own answer."""

    base_url: str
    chunks: int
    variant: str

    @property
    def request(self) -> dict[str, Any]:
        """The keyword arguments of the chat completion call, the same for every contender."""
        kwargs: dict[str, Any] = {"model": MODEL, "messages": MESSAGES}
        if self.variant == "tool":
            kwargs["tools"] = TOOLS
        return kwargs


@dataclass
class Runner:
    """One ready contender: ``run`` consumes one whole stream and returns what it assembled."""

    run: Callable[[], str]
    close: Callable[[], None]


@dataclass(frozen=True)
class Contender:
    """A way to consume the stream, with the openai path it is compared against."""

    key: str
    label: str
    setup: Callable[[Settings], Runner]
    openai_key: str | None = None


@dataclass
class Result:
    """The measurements of one contender, or why there are none."""

    contender: Contender
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    error: str | None = None

    def cpu_us(self, per: int) -> float:
        """Median CPU microseconds per chunk."""
        return statistics.median(self.cpu) / per * 1e6

    def wall_us(self, per: int) -> float:
        """Median wall-clock microseconds per chunk."""
        return statistics.median(self.wall) / per * 1e6

    @property
    def spread(self) -> float:
        """(max - min) / median of the CPU times: a quick noise gauge."""
        return (max(self.cpu) - min(self.cpu)) / statistics.median(self.cpu)


# -- contenders ---------------------------------------------------------------------------------


def _raw_floor(settings: Settings) -> Runner:
    client = httpx.Client(timeout=120)
    url = f"{settings.base_url}/chat/completions"
    body = {**settings.request, "stream": True}
    headers = {"Authorization": f"Bearer {API_KEY}"}
    tool = settings.variant == "tool"

    def run() -> str:
        parts: list[str] = []
        with client.stream("POST", url, json=body, headers=headers) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data: "):
                    continue
                data = line[6:]
                if data == "[DONE]":
                    break
                choices = json.loads(data)["choices"]
                if not choices:
                    continue
                delta = choices[0]["delta"]
                if tool:
                    calls = delta.get("tool_calls")
                    piece = calls[0]["function"]["arguments"] if calls else None
                else:
                    piece = delta.get("content")
                if piece:
                    parts.append(piece)
        return "".join(parts)

    return Runner(run, client.close)


def _raw_typed(settings: Settings) -> Runner:
    """The floor plus one pydantic ``model_validate_json`` per chunk into workbench's own type."""
    _import_workbench()
    try:
        from workbench.types import ChatCompletionChunk
    except ImportError as exc:
        raise Unavailable(f"workbench.types.ChatCompletionChunk: {exc}") from exc
    validate = ChatCompletionChunk.model_validate_json
    client = httpx.Client(timeout=120)
    url = f"{settings.base_url}/chat/completions"
    body = {**settings.request, "stream": True}
    headers = {"Authorization": f"Bearer {API_KEY}"}
    tool = settings.variant == "tool"

    def run() -> str:
        with client.stream("POST", url, json=body, headers=headers) as response:
            response.raise_for_status()
            chunks = (
                validate(line[6:])
                for line in response.iter_lines()
                if line.startswith("data: ") and line != "data: [DONE]"
            )
            return _consume_chunks(chunks, tool)

    return Runner(run, client.close)


def _sse_typed(settings: Settings, decoder: str) -> Runner:
    """One SSE decoder plus the typed chunk: httpx-sse (text events) or workbench's (bytes)."""
    _import_workbench()
    from workbench.types import ChatCompletionChunk

    validate = ChatCompletionChunk.model_validate_json
    client = httpx.Client(timeout=120)
    url = f"{settings.base_url}/chat/completions"
    body = {**settings.request, "stream": True}
    headers = {"Authorization": f"Bearer {API_KEY}"}
    tool = settings.variant == "tool"

    def run_httpx_sse() -> str:
        import httpx_sse

        with httpx_sse.connect_sse(client, "POST", url, json=body, headers=headers) as source:
            chunks = (validate(e.data) for e in source.iter_sse() if e.data != "[DONE]")
            return _consume_chunks(chunks, tool)

    def run_workbench_sse() -> str:
        from workbench.protocol._sse import SSEDecoder

        decoder = SSEDecoder()
        with client.stream("POST", url, json=body, headers=headers) as response:
            chunks = (
                validate(event.raw)
                for piece in response.iter_bytes()
                for event in decoder.feed(piece)
                if event.raw != b"[DONE]"
            )
            return _consume_chunks(chunks, tool)

    return Runner(run_httpx_sse if decoder == "httpx-sse" else run_workbench_sse, client.close)


def _consume_chunks(stream: Any, tool: bool) -> str:
    """Iterate ChatCompletionChunk objects as an app would: pull out each delta."""
    parts: list[str] = []
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        if tool:
            piece = delta.tool_calls[0].function.arguments if delta.tool_calls else None
        else:
            piece = delta.content
        if piece:
            parts.append(piece)
    return "".join(parts)


def _final_result(completion: Any, tool: bool) -> str:
    message = completion.choices[0].message
    result: str = message.tool_calls[0].function.arguments if tool else message.content
    return result


def _create_runner(client: Any, settings: Settings) -> Runner:
    tool = settings.variant == "tool"

    def run() -> str:
        return _consume_chunks(
            client.chat.completions.create(**settings.request, stream=True), tool
        )

    return Runner(run, client.close)


def _stream_runner(client: Any, settings: Settings) -> Runner:
    tool = settings.variant == "tool"

    def run() -> str:
        with client.chat.completions.stream(**settings.request) as stream:
            for _event in stream:
                pass
            return _final_result(stream.get_final_completion(), tool)

    return Runner(run, client.close)


def import_openai() -> Any:
    """The ``openai`` package (a note when it is not the pinned 1.106.1), or ``Unavailable``."""
    try:
        import openai
    except ImportError as exc:
        raise Unavailable(f"import openai failed: {exc}") from exc
    if openai.__version__ != "1.106.1":
        print(f"note: openai is {openai.__version__}, not the pinned 1.106.1", file=sys.stderr)
    return openai


def _openai_client(settings: Settings) -> Any:
    openai = import_openai()
    return openai.OpenAI(base_url=settings.base_url, api_key=API_KEY, max_retries=0)


def _import_workbench() -> Any:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))  # the source tree, installed or not
    try:
        import workbench
    except Exception as exc:
        raise Unavailable(f"import workbench failed: {type(exc).__name__}: {exc}") from exc
    return workbench


def _workbench_client(settings: Settings) -> Any:
    workbench = _import_workbench()
    client_class = getattr(workbench, "Client", None)
    if client_class is None:
        raise Unavailable("workbench.Client does not exist yet")
    try:
        return client_class(base_url=settings.base_url, api_key=API_KEY)
    except Exception as exc:
        raise Unavailable(f"workbench.Client(...) failed: {type(exc).__name__}: {exc}") from exc


CONTENDERS = (
    Contender("raw", "raw httpx + json.loads (floor)", _raw_floor),
    Contender("raw-typed", "raw + workbench chunk model", _raw_typed),
    Contender("sse-httpx", "httpx-sse + chunk model", lambda s: _sse_typed(s, "httpx-sse")),
    Contender("sse-workbench", "workbench SSE + chunk model", lambda s: _sse_typed(s, "workbench")),
    Contender(
        "openai-create",
        "openai create(stream=True)",
        lambda s: _create_runner(_openai_client(s), s),
    ),
    Contender(
        "openai-stream",
        "openai .stream() + final",
        lambda s: _stream_runner(_openai_client(s), s),
    ),
    Contender(
        "workbench-create",
        "workbench create(stream=True)",
        lambda s: _create_runner(_workbench_client(s), s),
        openai_key="openai-create",
    ),
    Contender(
        "workbench-stream",
        "workbench .stream() + final",
        lambda s: _stream_runner(_workbench_client(s), s),
        openai_key="openai-stream",
    ),
)
GROUPS = {
    "openai": ("openai-create", "openai-stream"),
    "workbench": ("workbench-create", "workbench-stream"),
}


# -- the server subprocess ----------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """The running SSE server subprocess."""

    base_url: str
    pid: int


@contextmanager
def running_server(chunks: int, variant: str, transfer: str) -> Iterator[Server]:
    """Start ``sse_server.py`` on 127.0.0.1 in a subprocess; yield its address; always stop it."""
    command = [sys.executable, str(SERVER_SCRIPT), "--port", "0", "--chunks", str(chunks)]
    command += ["--variant", variant, "--transfer", transfer]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        stdout = proc.stdout
        assert stdout is not None
        lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=30)
        except queue.Empty:
            raise RuntimeError("the SSE server did not start within 30 s") from None
        if not line.startswith(b"READY "):
            raise RuntimeError(f"the SSE server failed to start (exit {proc.poll()}): {line!r}")
        yield Server(f"http://127.0.0.1:{int(line.split()[1])}/v1", proc.pid)
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()  # EOF on stdin is the server's signal to shut down cleanly
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


# -- measuring ----------------------------------------------------------------------------------


def _timed(run: Callable[[], str]) -> tuple[float, float, str]:
    gc.collect()  # start each run from the same heap state; GC stays on, as in a real app
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = run()
    wall1, cpu1 = time.perf_counter(), time.process_time()
    return cpu1 - cpu0, wall1 - wall0, result


def _check(result: str, expected: str) -> None:
    if result != expected:
        raise Unavailable(
            f"wrong result: assembled {len(result)} chars, expected {len(expected)} "
            f"(starts {result[:30]!r})"
        )


def _describe(exc: BaseException) -> str:
    """One line: the error, and for a crash where it happened, so the owner can find it."""
    if isinstance(exc, Unavailable):
        text = str(exc)
    else:
        where = ""
        frames = traceback.extract_tb(exc.__traceback__)
        # Point into workbench's source when the error passed through it, else at the raiser.
        ours = [f for f in frames if Path(f.filename).is_relative_to(REPO_ROOT / "workbench")]
        if frames:
            frame = (ours or frames)[-1]
            path = Path(frame.filename)
            shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path.name
            where = f" at {shown}:{frame.lineno}"
        text = f"{type(exc).__name__}{where}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= 150 else text[:147] + "..."


def measure(contenders: list[Contender], settings: Settings, repeat: int) -> list[Result]:
    """Warm each contender up once, then run them round-robin ``repeat`` times."""
    expected = expected_result(settings.chunks, settings.variant)
    return measure_against(contenders, settings, expected, repeat)


def measure_against(
    contenders: list[Contender], target: Any, expected: str, repeat: int
) -> list[Result]:
    """``measure`` for any benchmark: each contender is set up with ``target`` and must
    assemble ``expected``."""
    results = [Result(c) for c in contenders]
    runners: dict[str, Runner] = {}
    try:
        for result in results:
            try:
                runner = result.contender.setup(target)
                runners[result.contender.key] = runner
                _check(_timed(runner.run)[2], expected)  # the warm-up, not counted
            except Exception as exc:
                result.error = f"unavailable: {_describe(exc)}"
        run_rounds(results, {key: runner.run for key, runner in runners.items()}, expected, repeat)
    finally:
        close_all(runner.close for runner in runners.values())
    return results


def run_rounds(
    results: list[Any], runs: dict[str, Callable[[], str]], expected: str, repeat: int
) -> None:
    """Time ``repeat`` rounds of every contender that is ready (``runs`` by key), appending CPU
    and wall seconds to its result; a wrong answer or an error marks it failed instead.

    Round-robin, so that drift on a busy machine spreads over every contender alike.
    """
    for round_number in range(repeat):
        # Every other round backwards: no contender always runs right after the same other one.
        for result in results if round_number % 2 == 0 else results[::-1]:
            if result.error is not None:
                continue
            try:
                cpu, wall, answer = _timed(runs[result.contender.key])
                _check(answer, expected)
            except Exception as exc:
                result.error = f"failed: {_describe(exc)}"
                continue
            result.cpu.append(cpu)
            result.wall.append(wall)


def close_all(closers: Iterable[Callable[[], object]]) -> None:
    """Call every closer; one that fails is reported and the others still run."""
    for close in closers:
        try:
            close()
        except Exception as exc:
            print(f"note: closing a client failed: {_describe(exc)}", file=sys.stderr)


# -- reporting ----------------------------------------------------------------------------------


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"python {platform.python_version()}"]
    for name in ("httpx", "pydantic", "openai"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} absent")
    workbench = sys.modules.get("workbench")
    parts.append(f"workbench {getattr(workbench, '__version__', 'not loaded')}")
    return ", ".join(parts)


Row = tuple[str, "tuple[str, ...] | str"]
"""A table row: a contender's label, and its cells or (a string) why it has none."""


def print_table(header: tuple[str, ...], widths: tuple[int, ...], rows: list[Row]) -> None:
    """Print a report's table: labels left-aligned, numbers right-aligned under the header."""
    for label, cells in [(header[0], header[1:]), *rows]:
        if isinstance(cells, str):
            print(label.ljust(widths[0]) + cells)
        else:
            print(label.ljust(widths[0]) + "".join(map(str.rjust, cells, widths[1:])))


def report(
    results: list[Result], settings: Settings, args: argparse.Namespace, server: Server
) -> list[bool | None]:
    """Print the table and the verdicts; return each verdict (None when it could not be judged)."""
    per = settings.chunks + EXTRA_CHUNKS
    by_key = {r.contender.key: r for r in results}
    ok = {k: r for k, r in by_key.items() if r.error is None}
    raw = ok.get("raw")

    print(
        f"streaming benchmark: {settings.chunks:,} content chunks = {per:,} data chunks + [DONE]"
        f" (variant {settings.variant}, transfer {args.transfer}), median of {args.repeat}"
        f" after 1 warm-up"
    )
    print(f"server: {server.base_url}, pid {server.pid}, stopped (its CPU is not counted)")
    print(f"{_versions()}; {os.cpu_count()} CPUs; per chunk = run time / {per:,}")
    print()
    header = ("contender", "CPU us/chunk", "wall us/chunk", "spread", "vs raw", "vs openai")
    widths = (31, 14, 15, 8, 9, 11)
    rows: list[Row] = []
    for result in results:
        if result.error is not None:
            rows.append((result.contender.label, result.error))
            continue
        cpu = result.cpu_us(per)
        vs_raw = f"{cpu / raw.cpu_us(per):.2f}x" if raw is not None else "-"
        match = ok.get(result.contender.openai_key or "")
        vs_openai = f"{cpu / match.cpu_us(per):.2f}x" if match is not None else "-"
        cells = (
            f"{cpu:.1f}",
            f"{result.wall_us(per):.1f}",
            f"{result.spread:.0%}",
            vs_raw,
            vs_openai,
        )
        rows.append((result.contender.label, cells))
    print_table(header, widths, rows)
    print()

    verdicts: list[bool | None] = []
    for key in ("workbench-create", "workbench-stream"):
        wb = by_key.get(key)
        if wb is None:
            continue
        theirs = by_key.get(wb.contender.openai_key or "")
        for target, ref, limit in (("openai", theirs, 1.0), ("raw", by_key.get("raw"), RAW_LIMIT)):
            path = key.removeprefix("workbench-")
            bound = f"openai {path}" if target == "openai" else f"{limit}x raw floor"
            name = f"workbench {path} <= {bound} (CPU)"
            if ref is None:
                print(f"verdict: {name}: SKIPPED (not run; see --only)")
                continue
            if wb.error is not None or ref.error is not None:
                missing = wb.contender.label if wb.error is not None else ref.contender.label
                print(f"verdict: {name}: UNKNOWN ({missing} has no measurement)")
                verdicts.append(None)
                continue
            ratio = wb.cpu_us(per) / ref.cpu_us(per)
            passed = ratio <= limit
            verdict = "PASS" if passed else "MISS"
            print(f"verdict: {name}: {verdict} ({ratio:.2f}x, limit {limit:.1f}x)")
            verdicts.append(passed)
    return verdicts


def _write_json(path: Path, results: list[Result], settings: Settings) -> None:
    per = settings.chunks + EXTRA_CHUNKS

    def numbers(r: Result) -> dict[str, Any]:
        per_chunk = {"cpu_us_per_chunk": r.cpu_us(per), "wall_us_per_chunk": r.wall_us(per)}
        return per_chunk | {"cpu_s": r.cpu, "wall_s": r.wall}

    fields = {"chunks": settings.chunks, "data_chunks": per, "variant": settings.variant}
    write_json(path, results, numbers, fields)


def write_json(
    path: Path, results: list[Any], numbers: Callable[[Any], dict[str, Any]], fields: dict[str, Any]
) -> None:
    """Save a run: when, on what, the run's ``fields``, and each contender's ``numbers`` (or
    its error)."""
    rows = []
    for r in results:
        row: dict[str, Any] = {"key": r.contender.key, "label": r.contender.label, "error": r.error}
        rows.append(row | numbers(r) if r.error is None else row)
    payload = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": _versions(),
        "cpus": os.cpu_count(),
        **fields,
        "results": rows,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")


def parse_only(
    value: str, contenders: Iterable[Any], groups: dict[str, tuple[str, ...]]
) -> list[str]:
    """The keys an ``--only`` value names: contenders' keys and groups of them."""
    known = [c.key for c in contenders]
    keys: list[str] = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        if item in groups:
            keys += groups[item]
        elif item in known:
            keys.append(item)
        else:
            choices = ", ".join(known + list(groups))
            raise argparse.ArgumentTypeError(f"unknown contender {item!r}; choose from {choices}")
    return keys


def _parse_only(value: str) -> list[str]:
    return parse_only(value, CONTENDERS, GROUPS)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; with ``--check``, exit 1 on a missed target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=20_000, help="content chunks (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="measured runs each (default 5)")
    parser.add_argument(
        "--only",
        type=_parse_only,
        help="comma-separated subset: raw, raw-typed, sse-httpx, sse-workbench, openai-create, "
        "openai-stream, "
        "workbench-create, workbench-stream, or the groups openai, workbench",
    )
    parser.add_argument("--variant", choices=VARIANTS, default="text", help="text or a tool call")
    parser.add_argument(
        "--transfer",
        choices=TRANSFERS,
        default="chunked",
        help="chunked: one HTTP chunk per event, as the API sends (default); flushed: also one "
        "socket write per event; length: one Content-Length body",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.chunks < 2 or args.repeat < 1:
        parser.error("--chunks must be >= 2 and --repeat >= 1")

    # Loopback must never go through a proxy from the environment.
    for name in ("NO_PROXY", "no_proxy"):
        os.environ[name] = ",".join(filter(None, [os.environ.get(name), "127.0.0.1"]))

    wanted = args.only or [c.key for c in CONTENDERS]
    contenders = [c for c in CONTENDERS if c.key in wanted]
    with running_server(args.chunks, args.variant, args.transfer) as server:
        settings = Settings(server.base_url, args.chunks, args.variant)
        results = measure(contenders, settings, args.repeat)
    verdicts = report(results, settings, args, server)
    if args.json is not None:
        _write_json(args.json, results, settings)
    if args.check and not all(verdicts):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
