"""A CDP trace of a page's main thread, cut into slices of a streamed reply (for
``bench_widget_browser.py``).

``read_trace`` records Chromium's timeline (``devtools.timeline`` and
``disabled-by-default-devtools.timeline``) while its block runs. ``analyse`` finds the page's
renderer main thread by a ``console.timeStamp("wb-bench-sync")`` the page made at the Send click
(the same moment it noted in ``performance.now()`` time, which puts the page's times on the
trace's clock), then sums its ``RunTask`` events (all the work of the thread, promise callbacks
included) and its ``Layout``, ``UpdateLayoutTree`` and ``Paint`` events per slice of tokens.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline"]
SYNC = "wb-bench-sync"
LAYOUT_EVENTS = frozenset({"Layout", "UpdateLayoutTree", "Paint"})


@dataclass
class Trace:
    """The events of one trace (filled when ``read_trace``'s block ends)."""

    events: list[dict[str, Any]] = field(default_factory=list)


@contextlib.contextmanager
def read_trace(cdp: Any, page: Any, timeout: float = 120) -> Iterator[Trace]:
    """Trace the browser while the block runs; the events are read back as a stream after it."""
    trace = Trace()
    done: list[dict[str, Any]] = []

    def complete(event: dict[str, Any]) -> None:
        done.append(event)

    cdp.on("Tracing.tracingComplete", complete)
    config = {"includedCategories": CATEGORIES, "recordMode": "recordAsMuchAsPossible"}
    cdp.send("Tracing.start", {"traceConfig": config, "transferMode": "ReturnAsStream"})
    try:
        yield trace
    finally:
        cdp.send("Tracing.end")
        waited = 0.0
        while not done and waited < timeout:
            page.wait_for_timeout(50)  # lets Playwright deliver the event
            waited += 0.05
        cdp.remove_listener("Tracing.tracingComplete", complete)
    if not done:
        raise RuntimeError("Chromium did not finish the trace")
    if done[0].get("dataLossOccurred"):
        raise RuntimeError("the trace buffer overflowed: events were lost")
    handle = done[0]["stream"]
    chunks: list[bytes] = []  # joined before decoding: a chunk may end inside a character
    while True:
        got = cdp.send("IO.read", {"handle": handle, "size": 4 << 20})
        data = got["data"]
        chunks.append(base64.b64decode(data) if got.get("base64Encoded") else data.encode())
        if got.get("eof"):
            break
    cdp.send("IO.close", {"handle": handle})
    body = json.loads(b"".join(chunks))
    trace.events = body["traceEvents"] if isinstance(body, dict) else body


class Span(NamedTuple):
    """A trace event's extent: start and end in trace microseconds, and the thread's CPU time
    in it (``tdur``: what other processes on a shared machine do not inflate)."""

    start: float
    end: float
    cpu: float


@dataclass(frozen=True)
class Slice:
    """One slice of the reply, scaled to ``per`` tokens: the main thread's CPU time in tasks,
    and in layout and paint."""

    task_ms: float
    layout_ms: float


@dataclass(frozen=True)
class Turn:
    """What one measured turn cost the page's main thread (CPU time, unless it says wall)."""

    first_token_ms: float  # wall: the Send click's event time to the frame after the first text
    slices: list[Slice]
    longest_streaming_ms: float  # the longest task from the click to the last streamed text
    longest_streaming_wall_ms: float
    longest_end_ms: float  # the longest task after it (the swap to the rendered reply)
    longest_end_wall_ms: float
    total_task_ms: float  # every task from the click to the trace's end
    total_task_wall_ms: float
    tokens: int
    window_ms: float  # wall: the first streamed text to the last

    def slice(self, pick: int | None) -> Slice | None:
        """The first (0), last (-1) or middle (None) slice; None when there is none."""
        if not self.slices:
            return None
        return self.slices[len(self.slices) // 2 if pick is None else pick]

    @property
    def flatness(self) -> float | None:
        """The last slice's main-thread time over the first's."""
        if len(self.slices) < 2 or self.slices[0].task_ms <= 0:
            return None
        return self.slices[-1].task_ms / self.slices[0].task_ms

    @property
    def flatness_of_three(self) -> float | None:
        """The median of the last three slices' main-thread time over the first three's: the
        same question as ``flatness``, less at the mercy of one noisy slice."""
        if len(self.slices) < 6:
            return None
        first = statistics.median(s.task_ms for s in self.slices[:3])
        last = statistics.median(s.task_ms for s in self.slices[-3:])
        return last / first if first > 0 else None


def _spans(events: list[dict[str, Any]], names: frozenset[str]) -> list[Span]:
    """The named events, complete (``X``) or begin/end pairs, by start."""
    spans: list[Span] = []
    begun: dict[str, list[dict[str, Any]]] = {}
    for e in sorted(events, key=lambda e: e.get("ts", 0)):
        if e.get("name") not in names:
            continue
        ph = e.get("ph")
        if ph == "X":
            dur = e.get("dur", 0)
            spans.append(Span(e["ts"], e["ts"] + dur, e.get("tdur", dur)))
        elif ph == "B":
            begun.setdefault(e["name"], []).append(e)
        elif ph == "E" and begun.get(e["name"]):
            b = begun[e["name"]].pop()
            cpu = e["tts"] - b["tts"] if "tts" in e and "tts" in b else e["ts"] - b["ts"]
            spans.append(Span(b["ts"], e["ts"], cpu))
    return sorted(spans)


def _top_level(spans: list[Span]) -> list[Span]:
    """The spans not inside another (a nested run loop runs tasks inside a task)."""
    kept: list[Span] = []
    for span in spans:
        if kept and span.start < kept[-1].end:
            continue
        kept.append(span)
    return kept


def _sync(events: list[dict[str, Any]]) -> dict[str, Any]:
    for e in events:
        data = e.get("args", {}).get("data", {})
        if e.get("name") == "TimeStamp" and SYNC in (data.get("message"), data.get("name")):
            return e
    raise RuntimeError(f"no {SYNC!r} time stamp in the trace: the click was not seen")


def _token_ends(text: str) -> list[int]:
    """The length of the text after each of its tokens (the local model's own tokenizer)."""
    from workbench.local._phrasing import tokenize

    ends, n = [], 0
    for token in tokenize(text):
        n += len(token)
        ends.append(n)
    return ends


def _cpu(spans: list[Span], start: float, stop: float) -> float:
    """Milliseconds of CPU time in the spans that start in [start, stop)."""
    return sum(s.cpu for s in spans if start <= s.start < stop) / 1000


def _slices(
    tasks: list[Span], layout: list[Span], times: list[float], tokens: list[int], per: int
) -> list[Slice]:
    """Cut at the first sample with ``k * per`` tokens, each slice scaled to ``per`` tokens."""
    slices: list[Slice] = []
    k, a = 1, 0  # slice k: from sample a to the first sample with k * per tokens
    while k * per <= tokens[-1]:
        b = bisect.bisect_left(tokens, k * per)
        seen = tokens[b] - tokens[a]
        if seen > 0:
            scale = per / seen
            slices.append(
                Slice(
                    _cpu(tasks, times[a], times[b]) * scale,
                    _cpu(layout, times[a], times[b]) * scale,
                )
            )
        a, k = b, k + 1
    return slices


def analyse(events: list[dict[str, Any]], page: dict[str, Any], per: int) -> Turn:
    """Cut the page's main-thread work into slices of ``per`` tokens, from what the page
    recorded (``page``: the click, the text's growth as ``[time, length]``, its last text)."""
    sync = _sync(events)
    thread = [e for e in events if e.get("pid") == sync["pid"] and e.get("tid") == sync["tid"]]

    def at(page_ms: float) -> float:  # page time to trace microseconds
        return float(sync["ts"]) + (page_ms - page["sync"]) * 1000

    tasks = _top_level(_spans(thread, frozenset({"RunTask"})))
    layout = _spans(thread, LAYOUT_EVENTS)
    ends = _token_ends(page["text"])
    times = [at(t) for t, _ in page["samples"]]
    tokens = [bisect.bisect_right(ends, length) for _, length in page["samples"]]
    click, last = at(page["click"]), times[-1]
    streaming = [s for s in tasks if click <= s.start <= last]
    after = [s for s in tasks if s.start > last]  # the trace goes on a while after the turn
    shown = page["frame"] if page["frame"] is not None else page["first"]
    mine = [s for s in tasks if s.start >= click]
    return Turn(
        first_token_ms=shown - page["click"],
        slices=_slices(tasks, layout, times, tokens, per),
        longest_streaming_ms=max((s.cpu for s in streaming), default=0) / 1000,
        longest_streaming_wall_ms=max((s.end - s.start for s in streaming), default=0) / 1000,
        longest_end_ms=max((s.cpu for s in after), default=0) / 1000,
        longest_end_wall_ms=max((s.end - s.start for s in after), default=0) / 1000,
        total_task_ms=sum(s.cpu for s in mine) / 1000,
        total_task_wall_ms=sum(s.end - s.start for s in mine) / 1000,
        tokens=tokens[-1],
        window_ms=(last - times[0]) / 1000,
    )
