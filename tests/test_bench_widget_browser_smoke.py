"""Keeps bench/bench_widget_browser.py from rotting: a ``--quick`` run (2,000 tokens) in
JupyterLab and Chromium prints its table with numbers for both widgets; and its trace reading
(``bench/chromium_trace.py``) checked on a made-up trace."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests._bench import run_bench

BENCH = Path(__file__).resolve().parents[1] / "bench"

NUMBER = r"\d[\d,]*(\.\d+)?( ms|x)?"
MEASURES = (
    "Send click to first token on screen",
    "main thread per 1,000 tokens, first",
    "main thread per 1,000 tokens, last",
    "last / first",
    "layout + paint per 1,000 tokens, last",
    "longest task while streaming",
    "longest task at the end of the turn",
    "tokens seen streaming",
)


@pytest.mark.browser
@pytest.mark.timeout(150)
def test_browser_benchmark_quick_run_measures_both_widgets() -> None:
    out = run_bench("bench_widget_browser.py", "--quick", timeout=140)
    rows = {line.strip(): line for line in out.splitlines()}
    for measure in MEASURES:
        row = next((row for label, row in rows.items() if label.startswith(measure)), None)
        assert row is not None, f"no row {measure!r}:\n{out}"
        # a number for the widget and for the minimal anywidget (their columns), never "-"
        widget, minimal = row[40:52].strip(), row[52:72].strip()
        assert re.fullmatch(NUMBER, widget) and re.fullmatch(NUMBER, minimal), row
    seen = next(row for label, row in rows.items() if label.startswith("tokens seen"))
    tokens = [int(n.replace(",", "")) for n in seen.split()[-2:]]
    assert all(n >= 2_000 for n in tokens), out
    assert re.search(r"^verdict: (PASS|MISS)$", out, re.M), out


def _chromium_trace() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chromium_trace", BENCH / "chromium_trace.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_trace_is_cut_per_thousand_tokens_on_the_page_main_thread() -> None:
    """A made-up trace: 60 growths of 100 tokens each 10 ms apart, one 1 ms task before each
    (2 ms from 4,000 tokens on), a 30 ms task after the stream, and noise to leave out."""
    trace = _chromium_trace()
    sync_ts, sync_ms = 1_000_000, 100.0

    def at(page_ms: float) -> float:
        return sync_ts + (page_ms - sync_ms) * 1000

    def task(ts: float, cpu: float, wall: float, name: str = "RunTask", pid: int = 1) -> dict:
        return {"name": name, "ph": "X", "pid": pid, "tid": pid, "ts": ts, "dur": wall, "tdur": cpu}

    sync = {"name": "TimeStamp", "ph": "I", "pid": 1, "tid": 1, "ts": sync_ts}
    sync["args"] = {"data": {"message": "wb-bench-sync"}}
    times = [sync_ms + 10 * i for i in range(1, 61)]
    events = [sync]
    for i, t in enumerate(times, start=1):
        events.append(task(at(t) - 2000, 2000 if i > 40 else 1000, 1500))
        events.append(task(at(t) - 1900, 500, 500, "RunTask"))  # nested: not counted again
        events.append(task(at(t) - 1800, 300, 300, "Layout"))
        events.append(task(at(t) - 6000, 3000, 3000, pid=2))  # another process
    events.append(task(at(times[-1]) + 5000, 30_000, 60_000))  # the swap at the end
    page = {
        "click": 99.0,
        "sync": sync_ms,
        "first": times[0],
        "frame": times[0] + 8,
        "samples": [[t, 200 * i] for i, t in enumerate(times, start=1)],
        "text": " w" * 6000,  # 6,000 tokens of 2 characters: each growth adds 100
    }
    turn = trace.analyse(events, page, 1000)
    assert turn.tokens == 6000
    assert [round(s.task_ms, 3) for s in turn.slices] == [10.0] * 4 + [20.0] * 2
    assert [round(s.layout_ms, 3) for s in turn.slices] == [3.0] * 6
    assert turn.flatness == pytest.approx(2.0)
    assert turn.flatness_of_three == pytest.approx(2.0)  # 10, 20, 20 against 10, 10, 10
    assert turn.first_token_ms == pytest.approx(times[0] + 8 - 99.0)
    assert turn.longest_streaming_ms == pytest.approx(2.0)
    assert turn.longest_streaming_wall_ms == pytest.approx(1.5)
    assert (turn.longest_end_ms, turn.longest_end_wall_ms) == (30.0, 60.0)
    assert turn.window_ms == pytest.approx(590.0)
