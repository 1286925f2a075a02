"""Measures a long session: 2,000 turns with a tool, bare and in a widget, the first turns
against the last.

Each turn sends ``What's the weather in city<i>?`` to a ``Conversation`` on the embedded local
model (no pacing) with one tool: the model calls ``get_weather``, the conversation runs it, the
model answers; 4 messages and 2 requests per turn, streamed, written to a SQLite log in a
temporary folder (the log is on by default in a notebook). Per turn it measures:

* wall time, and CPU time (``time.thread_time``: what other processes on a shared machine do
  not inflate) split four ways: the local model's own work (``LocalModel.handle`` and the making
  of its stream), the client's request building (``build_create_request`` and
  ``_build_request``: validating and JSON-encoding a body that holds the whole history, so it
  necessarily grows), Python's cyclic garbage collector (``gc.callbacks``: it runs when
  allocations pile up, wherever they happen, and each full collection walks the whole heap; the
  model's and the request's allocations grow with the body, so it grows too), and the rest,
  workbench's own overhead (the conversation, its log, the widget), which should not grow;
* the widget's comm messages and bytes per turn (each message JSON-encoded, as the kernel
  would), and the size of its synced transcript trait;
* Python memory (``tracemalloc``, in a pass of its own since tracing slows every allocation;
  there the model is shown only the current turn, ``tests/_long.py``'s ``TurnOnly``: what
  workbench keeps is the same, and the pass takes a minute instead of half an hour);
* with ``--browser``, the front end's DOM node count in headless Chromium (``tests/_frontend``'s
  ``Bridge`` forwarding every comm message to ``widget.js``), over ``--browser-turns`` turns.

The bare and the widget conversations advance turn by turn, round-robin, so that drift on a
busy machine falls on both alike. A warm-up conversation of a few turns runs first, so that lazy
imports and first-use caches are not charged to turn 1.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]

BLOCK = 10
"""Turns per compared block: the first ``BLOCK`` against the last ``BLOCK``."""
OVERHEAD_LIMIT = 1.3
"""Target: workbench's overhead per turn in the last block at most this times the first (noise)."""
GROWTH_LIMIT = 2.0
"""Target: comm bytes, trait size, memory growth per turn and DOM nodes, last vs first block."""


def get_weather(city: str) -> dict[str, Any]:
    """Get the current weather for a city.

    Args:
        city: the city's name.
    """
    return {"city": city, "temperature": 21, "sky": "clear"}


_cpu = time.thread_time


@dataclass
class Clocks:
    """Seconds spent in the local model, in the client's request building and in the garbage
    collector, so far (collections that happen inside the first two count as collections)."""

    model: float = 0.0
    request: float = 0.0
    gc: float = 0.0
    gc_started: float = 0.0


CLOCKS = Clocks()


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        CLOCKS.gc_started = _cpu()
    else:
        CLOCKS.gc += _cpu() - CLOCKS.gc_started


def instrument() -> None:
    """Time the local model and the client's request building (patched once, process-wide)."""
    import workbench.client._chat as chat_module
    from workbench.client._base import BaseClient
    from workbench.local import LocalModel

    handle = LocalModel.handle

    def timed_events(events: Iterator[bytes]) -> Iterator[bytes]:
        while True:
            t0, gc0 = _cpu(), CLOCKS.gc
            try:
                event = next(events)
            except StopIteration:
                CLOCKS.model += _cpu() - t0 - (CLOCKS.gc - gc0)
                return
            CLOCKS.model += _cpu() - t0 - (CLOCKS.gc - gc0)
            yield event

    def timed_handle(self: Any, *args: Any, **kwargs: Any) -> Any:
        t0, gc0 = _cpu(), CLOCKS.gc
        response = handle(self, *args, **kwargs)
        if response.events is not None:
            response.events = timed_events(response.events)
        CLOCKS.model += _cpu() - t0 - (CLOCKS.gc - gc0)
        return response

    def timer(function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0, gc0 = _cpu(), CLOCKS.gc
            try:
                return function(*args, **kwargs)
            finally:
                CLOCKS.request += _cpu() - t0 - (CLOCKS.gc - gc0)

        return timed

    gc.callbacks.append(_on_gc)

    LocalModel.handle = timed_handle  # type: ignore[method-assign]
    chat_module.build_create_request = timer(chat_module.build_create_request)  # type: ignore[attr-defined]
    BaseClient._build_request = timer(BaseClient._build_request)  # type: ignore[method-assign]


class RecordingComm:
    """A comm that counts what the widget sends (each message JSON-encoded, as a kernel would);
    with ``keep``, it also keeps the messages (for the browser pass)."""

    comm_id = "comm-bench-long"
    kernel = "Truthy"  # ipywidgets only sends when the comm has a kernel

    def __init__(self, **kwargs: Any) -> None:
        self.count = 0
        self.bytes = 0
        self.messages: list[dict[str, Any]] = []
        self.keep = False

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, callback: Any) -> None:
        self.callback = callback

    def send(self, data: Any = None, buffers: Any = None, **kwargs: Any) -> None:
        self.count += 1
        self.bytes += len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
        self.bytes += sum(len(memoryview(b).cast("B")) for b in buffers or ())
        if self.keep:
            self.messages.append(data)

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class Turn:
    """What one turn cost: wall seconds, and CPU seconds split four ways."""

    wall: float
    cpu: float
    model: float
    request: float
    gc: float
    comm_bytes: int = 0
    comm_messages: int = 0

    @property
    def overhead(self) -> float:
        return self.cpu - self.model - self.request - self.gc


@dataclass
class Pass:
    """One run of ``turns`` turns."""

    name: str
    turns: list[Turn] = field(default_factory=list)
    trait_bytes: dict[int, int] = field(default_factory=dict)  # turn -> messages_html JSON bytes
    memory: dict[int, int] = field(default_factory=dict)  # turn -> traced bytes
    nodes: dict[int, int] = field(default_factory=dict)  # turn -> DOM nodes
    history: int = 0  # messages in the history at the end


def _chat(log_dir: Path | None, name: str, *, turn_only: bool = False) -> Any:
    import workbench
    import workbench.local

    client: Any = workbench.Client(local=workbench.local.LocalModel())  # no pacing
    if turn_only:
        from tests._long import TurnOnly

        client = TurnOnly(client)
    log: Any = False if log_dir is None else log_dir / f"{name}.sqlite3"
    return workbench.Conversation(client=client, model="m", log=log, tools=[get_weather])


def _widget(chat: Any) -> Any:
    from workbench.widgets._widget import ConversationWidget

    return ConversationWidget(chat)


def _trait_bytes(w: Any) -> int:
    return len(json.dumps(w.messages_html, separators=(",", ":"), ensure_ascii=False).encode())


def _samples(turns: int) -> set[int]:
    """The turns after which sizes and memory are read: each block's ends, and the middle."""
    middle = turns // 2
    return {0, BLOCK, middle - BLOCK, middle, turns - BLOCK, turns}


def _prompt(i: int) -> str:
    return f"What's the weather in city{i}?"


def _check(reply: Any, i: int) -> None:
    if reply is None or reply.status != "complete":
        raise RuntimeError(f"turn {i}: the reply ended {reply and reply.status}")


def _timed_turn(chat: Any, w: Any, i: int) -> Turn:
    """Turn ``i`` of ``chat`` (through widget ``w`` if there is one), timed."""
    comm: RecordingComm | None = w.comm if w is not None else None
    model0, request0, gc0 = CLOCKS.model, CLOCKS.request, CLOCKS.gc
    count0, bytes0 = (comm.count, comm.bytes) if comm is not None else (0, 0)
    t0, cpu0 = time.perf_counter(), _cpu()
    reply = w.send(_prompt(i)) if w is not None else chat.send(_prompt(i))
    wall, cpu = time.perf_counter() - t0, _cpu() - cpu0
    _check(reply, i)
    turn = Turn(wall, cpu, CLOCKS.model - model0, CLOCKS.request - request0, CLOCKS.gc - gc0)
    if comm is not None:
        turn.comm_bytes, turn.comm_messages = comm.bytes - bytes0, comm.count - count0
    return turn


def timed_passes(turns: int, log_dir: Path | None) -> tuple[Pass, Pass]:
    """``turns`` turns of a bare conversation and of one in a widget, round-robin."""
    bare_chat, chat = _chat(log_dir, "bare"), _chat(log_dir, "widget")
    w = _widget(chat)
    bare, widget = Pass("bare"), Pass("widget")
    samples = _samples(turns)
    for i in range(1, turns + 1):
        bare.turns.append(_timed_turn(bare_chat, None, i))
        widget.turns.append(_timed_turn(chat, w, i))
        if i in samples:
            widget.trait_bytes[i] = _trait_bytes(w)
    bare.history, widget.history = len(bare_chat.history), len(chat.history)
    w.close()
    chat.close()
    bare_chat.close()
    return bare, widget


def memory_pass(turns: int, log_dir: Path | None) -> Pass:
    """``turns`` turns in a widget under tracemalloc (the model shown only the current turn)."""
    chat = _chat(log_dir, "memory", turn_only=True)
    w = _widget(chat)
    result = Pass("memory")
    samples = _samples(turns)
    gc.collect()
    tracemalloc.start()
    try:
        result.memory[0] = tracemalloc.get_traced_memory()[0]
        for i in range(1, turns + 1):
            _check(w.send(_prompt(i)), i)
            if i in samples:
                gc.collect()
                result.memory[i] = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    result.history = len(chat.history)
    w.close()
    chat.close()
    return result


def browser_pass(turns: int, log_dir: Path | None) -> Pass:
    """``turns`` turns into a widget whose every comm message reaches ``widget.js`` in headless
    Chromium; the DOM's node count is read at the sample turns."""
    import comm as comm_module
    from playwright.sync_api import sync_playwright

    from tests import _widgets
    from tests._browser import CHROMIUM, CHROMIUM_FLAGS
    from tests._frontend import Bridge

    result = Pass("browser")
    samples = _samples(turns)
    saved = comm_module.create_comm
    comm_module.create_comm = lambda **kwargs: _widgets.RecordingComm(**kwargs)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True
            )
            page = browser.new_page()
            chat = _chat(log_dir, "browser")
            w = _widget(chat)
            bridge = Bridge(page, w)
            for i in range(1, turns + 1):
                reply = w.send(_prompt(i))
                if reply is None:  # Playwright runs a loop here, as ipykernel does: a task
                    bridge.settle()
                    reply = chat.messages[-1]
                _check(reply, i)
                bridge.forward()
                bridge.comm.messages.clear()
                bridge.forwarded = 0
                if i in samples:
                    result.nodes[i] = int(
                        page.evaluate("() => document.querySelectorAll('#root *').length")
                    )
            result.history = len(chat.history)
            browser.close()
    finally:
        comm_module.create_comm = saved
    return result


def warm_up(log_dir: Path | None) -> None:
    """A few turns through a widget, so that lazy imports are not charged to turn 1."""
    chat = _chat(log_dir, "warm-up")
    w = _widget(chat)
    for i in range(3):
        _check(w.send(_prompt(i)), i)
    w.close()
    chat.close()


# -- the report ------------------------------------------------------------------------------


def _block(turns: list[Turn], start: int, attribute: str) -> float:
    """The median of ``attribute`` over turns ``start + 1 .. start + BLOCK`` (1-based)."""
    return statistics.median(getattr(t, attribute) for t in turns[start : start + BLOCK])


def _growth(values: dict[int, int], start: int) -> float:
    """Per-turn growth of a sampled value over the block after ``start``."""
    return (values[start + BLOCK] - values[start]) / BLOCK


def _ratio(last: float, first: float) -> str:
    return f"{last / first:.2f}x" if first > 0 else "-"


def report(passes: dict[str, Pass], turns: int, browser_turns: int) -> bool:
    """Print the table and verdicts; return whether every target holds."""
    import ipywidgets  # type: ignore[import-untyped]

    import workbench

    middle = turns // 2
    starts = (0, middle - BLOCK, turns - BLOCK)
    labels = [f"turns {s + 1:,}-{s + BLOCK:,}" for s in starts]
    bare, widget = passes["bare"], passes["widget"]
    print(
        f"long-session benchmark: {turns:,} turns with a tool (4 messages, 2 requests each),"
        f" streamed from the local model (no pacing), SQLite log on; medians of {BLOCK}-turn blocks"
    )
    print(
        f"python {sys.version.split()[0]}, ipywidgets {ipywidgets.__version__}, workbench"
        f" {workbench.__version__}; {os.cpu_count()} CPUs; history at the end:"
        f" {widget.history:,} messages"
    )
    print()
    head = f"{'measure':<46}" + "".join(f"{label:>18}" for label in labels) + f"{'last/first':>12}"
    print(head)

    def row(label: str, values: list[float], fmt: str) -> None:
        cells = "".join(f"{format(v, fmt):>18}" for v in values)
        print(f"{label:<46}{cells}{_ratio(values[-1], values[0]):>12}")

    def ms(p: Pass, attribute: str) -> list[float]:
        return [_block(p.turns, s, attribute) * 1000 for s in starts]

    for p, title in ((bare, "bare conversation"), (widget, "conversation + widget")):
        print(f"{title} (ms per turn; the split is of the CPU time)")
        row("  wall", ms(p, "wall"), ",.2f")
        row("  CPU, of which:", ms(p, "cpu"), ",.2f")
        row("  local model (its own work)", ms(p, "model"), ",.2f")
        row("  request building (validate + JSON body)", ms(p, "request"), ",.2f")
        row("  garbage collection (all of it)", ms(p, "gc"), ",.2f")
        row("  workbench overhead (the rest)", ms(p, "overhead"), ",.2f")
    print("widget traffic and state")
    row("  comm bytes per turn", [_block(widget.turns, s, "comm_bytes") for s in starts], ",.0f")
    row(
        "  comm messages per turn",
        [_block(widget.turns, s, "comm_messages") for s in starts],
        ".0f",
    )
    trait = [widget.trait_bytes[s + BLOCK] for s in starts]
    row("  messages_html trait bytes (end of block)", trait, ",.0f")
    memory = passes.get("memory")
    if memory is not None:
        print("python memory (tracemalloc, its own pass, the model shown only the current turn)")
        growth = [_growth(memory.memory, s) / 1024 for s in starts]
        row("  growth per turn (KiB)", growth, ",.1f")
        row(
            "  traced at the end of the block (MiB)",
            [memory.memory[s + BLOCK] / 2**20 for s in starts],
            ",.1f",
        )
    nodes = passes.get("browser")
    if nodes is not None:
        b_middle = browser_turns // 2
        b_starts = (0, b_middle - BLOCK, browser_turns - BLOCK)
        print(f"front end (headless Chromium, its own pass of {browser_turns:,} turns)")
        values = [float(nodes.nodes[s + BLOCK]) for s in b_starts]
        print(
            f"{'  DOM nodes after turns ' + ', '.join(f'{s + BLOCK:,}' for s in b_starts):<46}"
            + "".join(f"{v:>18,.0f}" for v in values)
            + f"{_ratio(values[-1], values[0]):>12}"
        )
    print()
    first, last = starts[0], starts[-1]
    checks = [
        (
            f"widget overhead/turn, last <= {OVERHEAD_LIMIT}x first",
            _block(widget.turns, last, "overhead") / _block(widget.turns, first, "overhead"),
            OVERHEAD_LIMIT,
        ),
        (
            f"bare overhead/turn, last <= {OVERHEAD_LIMIT}x first",
            _block(bare.turns, last, "overhead") / _block(bare.turns, first, "overhead"),
            OVERHEAD_LIMIT,
        ),
        (
            f"comm bytes/turn, last <= {GROWTH_LIMIT}x first",
            _block(widget.turns, last, "comm_bytes") / _block(widget.turns, first, "comm_bytes"),
            GROWTH_LIMIT,
        ),
        (
            f"trait bytes, last <= {GROWTH_LIMIT}x first",
            widget.trait_bytes[turns] / widget.trait_bytes[BLOCK],
            GROWTH_LIMIT,
        ),
    ]
    if memory is not None:
        first_growth = max(_growth(memory.memory, first), 1.0)
        checks.append(
            (
                f"memory growth/turn, last <= {GROWTH_LIMIT}x first",
                _growth(memory.memory, last) / first_growth,
                GROWTH_LIMIT,
            )
        )
    if nodes is not None:
        checks.append(
            (
                f"DOM nodes, last <= {GROWTH_LIMIT}x first",
                nodes.nodes[browser_turns] / nodes.nodes[BLOCK],
                GROWTH_LIMIT,
            )
        )
    print(f"{'target':<50}{'measured':>12}  verdict")
    passed = True
    for label, value, limit in checks:
        ok = value <= limit
        passed = passed and ok
        print(f"{label:<50}{value:>11.2f}x  {'PASS' if ok else 'FAIL'}")
    print()
    print(f"verdict: {'PASS' if passed else 'FAIL'}")
    return passed


def main(argv: list[str] | None = None) -> int:
    """Run the passes and print the report; with ``--check``, exit 1 when a target fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=2_000, help="turns per pass (default 2000)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 40 turns")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc pass")
    parser.add_argument("--no-log", action="store_true", help="conversations without a log")
    parser.add_argument("--browser", action="store_true", help="count DOM nodes in Chromium")
    parser.add_argument(
        "--browser-turns", type=int, default=300, help="turns of the browser pass (default 300)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--json", type=Path, help="also write the per-turn numbers here")
    args = parser.parse_args(argv)
    if args.quick:
        args.turns = 40
        args.browser_turns = min(args.browser_turns, 40)
    if args.turns < 4 * BLOCK or (args.browser and args.browser_turns < 4 * BLOCK):
        parser.error(f"--turns and --browser-turns must be >= {4 * BLOCK}")
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import comm

    comm.create_comm = lambda **kwargs: RecordingComm(**kwargs)  # type: ignore[assignment]
    instrument()
    passes: dict[str, Pass] = {}

    def save() -> None:  # after each pass, so that a long run interrupted keeps what it measured
        if args.json is not None:
            data = {name: _as_json(p) for name, p in passes.items()}
            args.json.write_text(json.dumps(data), encoding="utf-8")

    with tempfile.TemporaryDirectory(prefix="bench-long-") as folder:
        log_dir = None if args.no_log else Path(folder)
        warm_up(log_dir)
        passes["bare"], passes["widget"] = timed_passes(args.turns, log_dir)
        save()
        if not args.no_memory:
            passes["memory"] = memory_pass(args.turns, log_dir)
            save()
        if args.browser:
            passes["browser"] = browser_pass(args.browser_turns, log_dir)
            save()
    passed = report(passes, args.turns, args.browser_turns)
    return 1 if args.check and not passed else 0


def _as_json(p: Pass) -> dict[str, Any]:
    return {
        "turns": [t.__dict__ for t in p.turns],
        "trait_bytes": p.trait_bytes,
        "memory": p.memory,
        "nodes": p.nodes,
        "history": p.history,
    }


if __name__ == "__main__":
    sys.exit(main())
