"""Smoke tests that keep bench/ from rotting: the SSE server's streams and a short benchmark run."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
NUMBER_ROW = re.compile(r"^(?P<label>.+?)\s+(?P<cpu>\d+\.\d)\s+(?P<wall>\d+\.\d)\s+\d+%\s")


def _load_server() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_sse_server", BENCH / "sse_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _events(body: bytes) -> list[str]:
    return [line[6:] for line in body.decode().split("\n\n") if line.startswith("data: ")]


@pytest.mark.parametrize("variant", ["text", "tool"])
def test_server_stream_is_shaped_like_the_api(variant: str) -> None:
    """N content chunks plus role, finish and usage chunks, then [DONE]; the pieces add up."""
    from openai.types.chat import ChatCompletionChunk

    server = _load_server()
    (body,) = server.stream_writes(7, variant, "length")
    events = _events(body)
    assert events[-1] == "[DONE]"
    chunks = [ChatCompletionChunk.model_validate(json.loads(data)) for data in events[:-1]]
    assert len(chunks) == 7 + server.EXTRA_CHUNKS
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-2].choices[0].finish_reason == ("stop" if variant == "text" else "tool_calls")
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    if variant == "text":
        pieces = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    else:
        calls = [c.choices[0].delta.tool_calls for c in chunks if c.choices]
        pieces = [t[0].function.arguments or "" for t in calls if t and t[0].function]
        assert json.loads("".join(pieces)) == {"text": server.expected_result(5)}
    assert "".join(pieces) == server.expected_result(7, variant)


def test_server_chunked_framing_carries_the_same_events() -> None:
    server = _load_server()
    (plain,) = server.stream_writes(4, "text", "length")
    (chunked,) = server.stream_writes(4, "text", "chunked")
    flushed = server.stream_writes(4, "text", "flushed")
    assert b"".join(flushed) == chunked and chunked.endswith(b"0\r\n\r\n")
    unframed, rest = b"", chunked
    while rest:
        size, rest = rest.split(b"\r\n", 1)
        unframed, rest = unframed + rest[: int(size, 16)], rest[int(size, 16) + 2 :]
    assert unframed == plain


def _process_gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_streaming_benchmark_runs_and_stops_its_server() -> None:
    """A 200-chunk run prints the floor and openai rows with numbers and leaves no server behind."""
    proc = subprocess.run(
        [sys.executable, str(BENCH / "bench_streaming.py"), "--chunks", "200", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    rows = {m["label"]: float(m["cpu"]) for m in map(NUMBER_ROW.match, out.splitlines()) if m}
    for label in (
        "raw httpx + json.loads (floor)",
        "openai create(stream=True)",
        "openai .stream() + final",
    ):
        assert rows.get(label, 0) > 0, f"no number for {label!r} in:\n{out}"
    for label in ("workbench create(stream=True)", "workbench .stream() + final"):
        line = next((ln for ln in out.splitlines() if ln.startswith(label)), None)
        assert line is not None, f"no row for {label!r} in:\n{out}"
        assert label in rows or "unavailable" in line or "failed" in line, line
    assert out.count("verdict: workbench") == 4, out

    server = re.search(r"^server: http://127\.0\.0\.1:\d+/v1, pid (\d+)", out, re.MULTILINE)
    assert server is not None, out
    assert _process_gone(int(server.group(1))), "the benchmark left its SSE server running"
