"""Helpers for the local model's tests: drive its core, check its output, serve it over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests._mock import schema_validator
from workbench.local import Clock, LocalModel, LocalResponse
from workbench.local._server import LocalServer

ROOT = Path(__file__).resolve().parents[1]
USER = [{"role": "user", "content": "What is the weather in Paris today?"}]


def post(model: LocalModel, body: Mapping[str, Any], **headers: str) -> LocalResponse:
    """``POST /chat/completions`` straight into the core (no client to validate first)."""
    return model.handle("POST", "/chat/completions", {}, headers, json.dumps(body).encode())


def events(response: LocalResponse) -> list[bytes]:
    """The data of every SSE event of a streamed answer, checking each one's framing."""
    assert response.events is not None, "not a stream"
    out = []
    for event in response.events:
        assert event.startswith(b"data: ") and event.endswith(b"\n\n"), event
        assert b"\n" not in event[:-2], f"an event on several lines: {event!r}"
        out.append(event[6:-2])
    return out


def assert_spec(name: str, value: Any) -> None:
    """Fail with the violations if ``value`` is not a valid ``components.schemas[name]``."""
    errors = sorted(schema_validator(name).iter_errors(value), key=lambda e: list(e.path))
    if errors:
        lines = [f"  at {list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5]]
        raise AssertionError(f"not a valid {name}:\n" + "\n".join(lines))


def completion(model: LocalModel, body: Mapping[str, Any]) -> dict[str, Any]:
    """A non-streamed completion from the core, checked against the spec."""
    response = post(model, body)
    assert response.status == 200, response.body
    data: dict[str, Any] = json.loads(response.body)
    assert_spec("CreateChatCompletionResponse", data)
    return data


def chunks(model: LocalModel, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The chunks of a streamed completion from the core, each checked against the spec."""
    response = post(model, {**body, "stream": True})
    assert response.status == 200, response.body
    assert dict(response.headers)["content-type"] == "text/event-stream"
    data = events(response)
    assert data[-1] == b"[DONE]" and b"[DONE]" not in data[:-1]
    out = [json.loads(d) for d in data[:-1]]
    for chunk in out:
        assert_spec("CreateChatCompletionStreamResponse", chunk)
    return out


def merge(stream: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Per choice index, the streamed pieces put together: content, refusal, tool calls, and the
    reasoning text under the name it came in (only when it came)."""
    merged: dict[int, dict[str, Any]] = {}
    for chunk in stream:
        for part in chunk["choices"]:
            choice = merged.setdefault(
                part["index"],
                {"content": None, "refusal": None, "tool_calls": {}, "finish_reason": None},
            )
            delta = part["delta"]
            for key in ("content", "refusal"):
                if delta.get(key) is not None:
                    choice[key] = (choice[key] or "") + delta[key]
            for key in ("reasoning_content", "reasoning"):
                if delta.get(key) is not None:
                    choice[key] = choice.get(key, "") + delta[key]
            for call in delta.get("tool_calls") or ():
                into = choice["tool_calls"].setdefault(call["index"], {"arguments": ""})
                if call.get("id"):
                    into["id"], into["name"] = call["id"], call["function"]["name"]
                into["arguments"] += call["function"].get("arguments") or ""
            choice["finish_reason"] = part["finish_reason"] or choice["finish_reason"]
    return merged


# -- the HTTP server ----------------------------------------------------------------------------


@contextmanager
def server_thread(model: LocalModel, clock: Clock | None = None) -> Iterator[str]:
    """Serve ``model`` over HTTP on a free loopback port from a thread; yields the base URL.
    ``clock``: the server's time and sleeps (a fake, to check pacing without waiting)."""
    loop = asyncio.new_event_loop()
    server = LocalServer(model, host="127.0.0.1", port=0, clock=clock)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=5)
    try:
        yield server.url
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


_URL = re.compile(r"serving on (http://127\.0\.0\.1:\d+/v1)")


class ServerProcess:
    """``python -m workbench serve --port 0 ...`` as a subprocess; reads the URL it prints."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "workbench", "serve", "--port", "0", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the server prints its URL first
        match = _URL.search(line)
        if match is None:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=5)
            raise AssertionError(f"the server printed {line!r}, not its URL; stderr:\n{err}")
        self.url = match[1]

    def interrupt(self, timeout: float = 5.0) -> tuple[int, str]:
        """Ctrl-C (SIGINT); the exit code and stderr once it has stopped."""
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError("the server did not stop within 5 s of SIGINT") from None
        return self.proc.returncode, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@contextmanager
def serving(*args: str) -> Iterator[ServerProcess]:
    """``python -m workbench serve --port 0 *args`` while the block runs; Ctrl-C at the end
    must stop it cleanly."""
    proc = ServerProcess(*args)
    try:
        yield proc
        code, err = proc.interrupt()
        assert code == 0 and "Traceback" not in err, err
    finally:
        proc.kill()


# -- a Jupyter kernel, played -------------------------------------------------------------------


class KernelShell:
    """A stand-in for ipykernel's shell: it has a ``kernel``, and its display publisher records
    every bundle displayed (what ``IPython.display.display`` hands it)."""

    def __init__(self) -> None:
        self.kernel = object()
        self.display_pub = self
        self.displayed: list[dict[str, Any]] = []

    def publish(self, data: dict[str, Any], metadata: Any = None, **kwargs: Any) -> None:
        self.displayed.append(data)


def play_kernel(monkeypatch: pytest.MonkeyPatch) -> KernelShell:
    """Make this process look like a Jupyter kernel until the test ends: ``IPython.get_ipython()``
    (looked up in ``sys.modules``, as workbench does) returns a ``KernelShell``."""
    shell = KernelShell()
    fake = types.SimpleNamespace(get_ipython=lambda: shell)
    monkeypatch.setitem(sys.modules, "IPython", fake)
    return shell
