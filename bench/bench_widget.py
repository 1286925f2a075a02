"""Measures the conversation widget's comm traffic and cost for a long reply from the local model.

One run streams a ~20,000-token reply from the embedded local model with no pacing, first through
the bare ``Conversation.send()`` and then through a ``ConversationWidget`` whose comm records every
message (``comm.create_comm`` patched, as ``tests/test_widget.py`` does), round-robin, and prints
the median of ``--repeat`` runs against issue 5's targets (section "Speed").
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]

BYTES_LIMIT = 3.0
"""Target: comm bytes at most this many times the reply's own UTF-8 bytes."""
RATE_LIMIT = 30.0
"""Target: at most this many updates per second of streaming (the first and final flush allowed)."""
WALL_LIMIT = 1.5
"""Target: widget wall time at most this many times the bare conversation's."""


class RecordingComm:
    """A comm that records what the widget sends, with the time of each send (no kernel)."""

    comm_id = "comm-bench"
    kernel = "Truthy"  # ipywidgets only sends when the comm has a kernel

    def __init__(self, **kwargs: Any) -> None:
        self.messages: list[tuple[float, dict[str, Any], int]] = []

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, callback: Any) -> None:
        self.callback = callback

    def send(self, data: Any = None, buffers: Any = None, **kwargs: Any) -> None:
        now = time.perf_counter()
        size = len(json.dumps(data, separators=(",", ":")).encode())
        size += sum(len(memoryview(b).cast("B")) for b in buffers or ())
        self.messages.append((now, data, size))

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


@dataclass
class WidgetRun:
    """What one widget run sent over its comm."""

    wall: float
    reply_bytes: int
    messages: int
    comm_bytes: int
    delta_messages: int
    delta_bytes: int
    rebuild_bytes: int
    window: float  # seconds from the first streamed delta message to the last
    updates: int  # comm messages sent within that window, both ends included

    @property
    def rate(self) -> float:
        """Updates per second of streaming, the first and the final flush not counted."""
        if self.updates <= 2 or self.window <= 0:
            return 0.0
        return (self.updates - 2) / self.window

    @property
    def allowed(self) -> int:
        """The first and final flush, plus one update per started 1/30 s of the window."""
        return 2 + math.ceil(self.window * RATE_LIMIT)


@dataclass
class Results:
    bare: list[float] = field(default_factory=list)
    widget: list[WidgetRun] = field(default_factory=list)
    tokens: int = 0
    deltas: int = 0


def _patch_long_reply(words: int) -> None:
    """The local model answers with ``words`` extra words (token-sized deltas), as the test does."""
    import workbench.local._generate as generate

    tail = " ".join(f"word{i % 97}" for i in range(words))
    original = generate.reply_text  # type: ignore[attr-defined]

    def longer(**kwargs: Any) -> str:
        return str(original(**kwargs)) + " " + tail

    generate.reply_text = longer  # type: ignore[attr-defined]


def _chat() -> Any:
    import workbench
    import workbench.local

    client = workbench.Client(local=workbench.local.LocalModel())  # no pacing: as fast as it can
    return workbench.Conversation(client=client, model="m", log=False)


def _bare(results: Results) -> str:
    chat = _chat()
    deltas = 0

    def count(event: Any) -> None:
        nonlocal deltas
        if event.type == "content.delta":
            deltas += 1

    chat.subscribe(count)
    gc.collect()
    t0 = time.perf_counter()
    reply = chat.send("hello")
    results.bare.append(time.perf_counter() - t0)
    if reply.status != "complete":
        raise RuntimeError(f"bare: the turn ended {reply.status}")
    results.deltas = deltas
    results.tokens = reply.usage.completion_tokens if reply.usage is not None else 0
    return str(reply.text)


def _widget(results: Results) -> str:
    from workbench.widgets._widget import ConversationWidget

    w = ConversationWidget(_chat())
    recorder = w.comm
    assert isinstance(recorder, RecordingComm)
    recorder.messages.clear()  # the widget's opening state is not part of the stream
    gc.collect()
    t0 = time.perf_counter()
    reply = w.send("hello")
    wall = time.perf_counter() - t0
    if reply is None or reply.status != "complete":
        raise RuntimeError(f"widget: the turn ended {reply and reply.status} ({w.error})")
    sent = recorder.messages
    delta_times = [
        t for t, m, _ in sent if m["method"] == "custom" and m["content"].get("type") == "delta"
    ]
    if (
        "".join(
            m["content"]["text"]
            for _, m, _ in sent
            if m["method"] == "custom" and m["content"].get("type") == "delta"
        )
        != reply.text
    ):
        raise RuntimeError("widget: the streamed deltas do not add up to the reply")
    first, last = delta_times[0], delta_times[-1]
    results.widget.append(
        WidgetRun(
            wall=wall,
            reply_bytes=len(reply.text.encode()),
            messages=len(sent),
            comm_bytes=sum(n for _, _, n in sent),
            delta_messages=len(delta_times),
            delta_bytes=sum(n for _, m, n in sent if _custom(m) not in (None, "transcript")),
            rebuild_bytes=sum(
                n
                for _, m, n in sent
                if (m["method"] == "update" and "messages_html" in m["state"])
                or _custom(m) == "transcript"  # the transcript's patch (issue 8)
            ),
            window=last - first,
            updates=sum(1 for t, _, _ in sent if first <= t <= last),
        )
    )
    w.close()
    return reply.text


def _custom(message: dict[str, Any]) -> str | None:
    """The type of a custom message (None for a state update)."""
    return str(message["content"].get("type")) if message["method"] == "custom" else None


def measure(repeat: int) -> Results:
    """One warm-up each (checking both paths assemble the same reply), then ``repeat`` rounds."""
    results = Results()
    if _bare(results) != _widget(results):
        raise RuntimeError("the bare and widget replies differ")
    results = Results()
    for _ in range(repeat):
        _bare(results)
        _widget(results)
    return results


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: Results, words: int, repeat: int) -> bool:
    """Print the table and verdicts; return whether every target holds."""
    import anywidget
    import ipywidgets  # type: ignore[import-untyped]

    import workbench
    from workbench.widgets._coalesce import FLUSH_SECONDS

    runs = results.widget
    med = statistics.median
    bare = med(results.bare)
    wall = med(r.wall for r in runs)
    reply_bytes = runs[0].reply_bytes
    comm_bytes = med(r.comm_bytes for r in runs)
    ratio = comm_bytes / reply_bytes
    rate = med(r.rate for r in runs)
    rate_ok = all(r.updates <= r.allowed for r in runs)
    worst = max(runs, key=lambda r: r.updates - r.allowed)
    wall_ratio = wall / bare
    print(
        f"widget benchmark: local model, no pacing, +{words:,} words ="
        f" {results.tokens:,} completion tokens, {results.deltas:,} content deltas;"
        f" median of {repeat} after 1 warm-up"
    )
    print(
        f"python {sys.version.split()[0]}, ipywidgets {ipywidgets.__version__}, anywidget"
        f" {anywidget.__version__}, workbench {workbench.__version__}; {os.cpu_count()} CPUs;"
        f" FLUSH_SECONDS {FLUSH_SECONDS}"
    )
    print()
    print(f"{'measure':<44}{'value':>14}")
    rows = [
        ("bare Conversation.send() wall", f"{bare * 1000:.1f} ms"),
        ("widget send() wall", f"{wall * 1000:.1f} ms"),
        ("comm messages (all, during send)", f"{med(r.messages for r in runs):.0f}"),
        ("  of which delta messages", f"{med(r.delta_messages for r in runs):.0f}"),
        ("streaming window (first to last delta)", f"{med(r.window for r in runs) * 1000:.1f} ms"),
        ("updates in that window", f"{med(r.updates for r in runs):.0f}"),
        ("updates/s (first and final flush not counted)", f"{rate:.1f}/s"),
        ("reply bytes", f"{reply_bytes:,}"),
        ("comm bytes (JSON + buffers)", f"{comm_bytes:,.0f}"),
        ("  custom (delta) bytes", f"{med(r.delta_bytes for r in runs):,.0f}"),
        ("  transcript (patch or rebuild) bytes", f"{med(r.rebuild_bytes for r in runs):,.0f}"),
    ]
    for label, value in rows:
        print(f"{label:<44}{value:>14}")
    print()
    checks = [
        (f"comm bytes / reply bytes <= {BYTES_LIMIT}x", f"{ratio:.2f}x", ratio <= BYTES_LIMIT),
        (
            f"updates while streaming <= {RATE_LIMIT:.0f}/s",
            f"{worst.updates} of {worst.allowed}",
            rate_ok,
        ),
        (f"wall widget / bare <= {WALL_LIMIT}x", f"{wall_ratio:.2f}x", wall_ratio <= WALL_LIMIT),
    ]
    print(f"{'target':<44}{'measured':>14}  verdict")
    for label, value, ok in checks:
        print(f"{label:<44}{value:>14}  {_verdict(ok)}")
    print(
        "(updates: comm messages from the first streamed delta to the last, both included;"
        f" allowed: 2 + ceil(window * {RATE_LIMIT:.0f}); the worst of the runs is shown)"
    )
    passed = all(ok for _, _, ok in checks)
    print()
    print(f"verdict: {_verdict(passed)}")
    return passed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; with ``--check``, exit 1 when a target fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--tokens", type=int, default=20_000, help="about this many reply tokens (default 20000)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="measured runs each (default 5)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1000 words, 1 repeat")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    if args.quick:
        args.tokens, args.repeat = 2_000, 1
    if args.tokens < 2 or args.repeat < 1:
        parser.error("--tokens must be >= 2 and --repeat >= 1")
    words = args.tokens // 2  # each extra word streams as two deltas: the space and the word
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import comm

    comm.create_comm = lambda **kwargs: RecordingComm(**kwargs)  # type: ignore[assignment]
    _patch_long_reply(words)
    results = measure(args.repeat)
    passed = report(results, words, args.repeat)
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
