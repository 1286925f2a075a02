"""Measures the conversation widget's main-thread cost in Chromium while a long reply streams.

One run starts a private JupyterLab (``tests/_browser.py``'s ``LabServer``) and headless Chromium,
opens a notebook that shows two widgets on the same paced local model, and in each clicks Send in
the page: ``ConversationWidget``, and a minimal anywidget defined here (the baseline: its front
end appends each custom message's text to a ``<pre>``; its Python side sends the conversation's
deltas through the same ``Coalescer`` as the real widget, so both get the same messages). Each
gets a short warm-up turn, then a measured turn of about ``--tokens`` tokens from the local model
at ``--rate`` tokens per second (``WORKBENCH_LOCAL_TOKENS_PER_SECOND`` in the kernel).

During the measured turn a CDP trace (``devtools.timeline`` and
``disabled-by-default-devtools.timeline``) records the page's renderer main thread: every
``RunTask`` (task time, which counts the comm's promise callbacks that CDP's script counter
misses) and the ``Layout``, ``UpdateLayoutTree`` and ``Paint`` events. A ``MutationObserver`` in
the page records when the streamed text grows and by how much, so the trace can be cut per 1,000
tokens; the click's time and the frame after the first streamed text are taken in the page too.
Targets: issue 17, "Browser-side speed".
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromium_trace import Slice, Turn, analyse, read_trace

REPO_ROOT = Path(__file__).resolve().parents[1]

FLAT_LIMIT = 1.2
"""Target: main-thread time for the last 1,000 tokens at most this times the first's."""
LONG_TASK_MS = 50.0
"""Target: no main-thread task longer than this while streaming, nor at the end of the turn."""
FIRST_TOKEN_MS = 100.0
"""Target: from the Send click to the first streamed text on screen, under this."""
SETTLE_MS = 1_000
"""How long the trace goes on after the turn is over (the swap to the rendered reply)."""
PER = 1_000
"""Tokens per measured slice."""

WARM_UP = "warm up"  # the kernel answers this message briefly; any other at full length
MESSAGE = "hello"

# The kernel: the paced local model, whose reply to MESSAGE gets a long tail of token-sized words
# (each streams as two tokens, " word" and a number, as in bench_widget.py).
SETUP = """\
import os
os.environ["WORKBENCH_LOCAL_TOKENS_PER_SECOND"] = "{rate}"
import workbench, workbench.widgets
import workbench.local._generate as _generate
_reply_text = _generate.reply_text
def _long_reply(**kwargs):
    last = kwargs["messages"][-1].get("content")
    words = 20 if last == {warm_up!r} else {words}
    return _reply_text(**kwargs) + " " + " ".join(f"word{{i % 97}}" for i in range(words))
_generate.reply_text = _long_reply
"""
MINIMAL = '''\
import asyncio
import anywidget
from workbench.widgets._coalesce import Coalescer

class MinimalStream(anywidget.AnyWidget):
    """The baseline: a Send button, and a <pre> that each custom message's text is appended to."""

    _esm = """
    export default { render({ model, el }) {
      const input = document.createElement("input");
      input.className = "mini-input";
      const send = document.createElement("button");
      send.className = "mini-send";
      send.textContent = "Send";
      const pre = document.createElement("pre");
      pre.className = "mini-text";
      pre.style.cssText = "max-height: 32em; overflow-y: auto; white-space: pre-wrap;"
        + " word-break: normal";
      send.onclick = () => {
        send.disabled = true;
        pre.textContent = "";
        model.send({ action: "send", text: input.value });
      };
      model.on("msg:custom", (msg) => {
        if (msg.type === "delta") pre.append(msg.text);
        else if (msg.type === "done") send.disabled = false;
      });
      el.append(input, send, pre);
    } };
    """

    def __init__(self, chat):
        super().__init__()
        self._chat = chat
        self._coalescer = Coalescer(self.send)
        self._tasks = set()
        chat.subscribe(self._on_event)
        self.on_msg(self._on_front_end)

    def _on_front_end(self, _widget, content, _buffers):
        if content.get("action") == "send":
            task = asyncio.get_running_loop().create_task(self._chat.asend(content["text"]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _on_event(self, event):
        if event.type == "content.delta":
            self._coalescer.add(event.message_id, event.delta)
        elif event.type in ("turn.finished", "turn.failed"):
            self._coalescer.flush()
            self.send({"type": "done"})

MinimalStream(workbench.Conversation(model="m", log=False))
'''
WIDGET = 'workbench.widgets.widget(workbench.Conversation(model="m", log=False))'


@dataclass(frozen=True)
class Contender:
    """A widget in the page, found by stable class names."""

    name: str
    root: str  # the widget's element
    input: str  # where the message is typed
    send: str  # the button clicked
    text: str  # the streamed text of the turn (inside root)
    busy: str  # matches inside root while the turn is on


CONTENDERS = (
    Contender(
        "widget",
        ".wb-widget",
        ".wb-input",
        ".wb-send",
        ".wb-transcript .wb-entry-streaming .wb-stream-text",
        ".wb-entry-streaming, .wb-send:disabled",
    ),
    Contender(
        "minimal anywidget",
        ".jp-OutputArea-output:has(.mini-text)",
        ".mini-input",
        ".mini-send",
        ".mini-text",
        ".mini-send:disabled",
    ),
)

# Installed before each turn: records the click (its event time, and performance.now() beside a
# console.timeStamp that marks the same moment in the trace), each growth of the streamed text,
# the frame after the first one, and when the turn is over.
WATCH = """(spec) => {
  const root = document.querySelector(spec.root);
  const state = { samples: [], text: "", click: null, sync: null, first: null, frame: null,
    busy: false, done: null };
  window.__bench = state;
  // All the matches, in order: the text may be cut into blocks that each match.
  const read = () => [...root.querySelectorAll(spec.text)].map((n) => n.textContent).join("");
  const seen = () => {
    const now = performance.now();
    if (state.sync === null) return;
    const text = read();
    if (text.length > state.text.length) {
      state.samples.push([now, text.length]);
      state.text = text;
      if (state.first === null) {
        state.first = now;
        requestAnimationFrame(() => { state.frame = performance.now(); });
      }
    }
    const busy = root.querySelector(spec.busy) !== null;
    state.busy = state.busy || busy;
    if (state.busy && !busy && state.done === null) state.done = now;
  };
  const observer = new MutationObserver(seen);
  observer.observe(root, { childList: true, subtree: true, characterData: true,
    attributes: true });
  state.stop = () => observer.disconnect();
  root.querySelector(spec.send).addEventListener("click", (event) => {
    state.click = event.timeStamp;
    state.sync = performance.now();
    console.timeStamp("wb-bench-sync");
  }, { capture: true, once: true });
}"""
RESULT = """() => {
  const { stop, ...state } = window.__bench;
  stop();
  return state;
}"""


def notebook_cells(tokens: int, rate: float) -> list[str]:
    """The notebook: the kernel's set-up, the baseline, the widget."""
    setup = SETUP.format(rate=rate, warm_up=WARM_UP, words=tokens // 2)
    return [setup, MINIMAL, WIDGET]


def run_turn(
    page: Any, who: Contender, message: str, timeout: float, settle: int = 0
) -> dict[str, Any]:
    """Type ``message`` into ``who``, click Send, wait until the turn is over and ``settle`` ms
    more; what the page recorded (times in the page's ``performance.now()`` milliseconds)."""
    root = page.locator(who.root)
    root.scroll_into_view_if_needed()
    root.locator(who.input).fill(message)
    spec = {"root": who.root, "send": who.send, "text": who.text, "busy": who.busy}
    page.evaluate(WATCH, spec)
    root.locator(who.send).click()
    page.wait_for_function("() => window.__bench.done !== null", timeout=timeout * 1000)
    page.wait_for_timeout(settle)
    state: dict[str, Any] = page.evaluate(RESULT)
    if not state["text"]:
        raise RuntimeError(f"{who.name}: no streamed text seen in {who.text!r}")
    return state


@contextlib.contextmanager
def lab_notebook(tokens: int, rate: float, workdir: Path) -> Iterator[Any]:
    """A page of JupyterLab with the benchmark's notebook run, both widgets shown."""
    from tests._browser import LabServer, lab_page, open_and_run_all

    lab = LabServer(workdir)
    # The kernel imports this checkout's workbench, wherever the venv's editable install points.
    lab.env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), lab.env.get("PYTHONPATH", "")) if p
    )
    with lab:
        lab.write_notebook("bench.ipynb", notebook_cells(tokens, rate))
        with lab_page(lab, workdir / "chromium") as page:
            open_and_run_all(page, lab, "bench.ipynb")
            for who in CONTENDERS:
                page.locator(who.root).locator(who.send).wait_for(timeout=60_000)
            yield page


def measure(
    tokens: int, rate: float, save: Path | None
) -> tuple[dict[str, Turn], dict[str, dict[str, float]]]:
    """Warm up and measure each contender in one page; its analysed turn and CDP's counters."""
    turns: dict[str, Turn] = {}
    counters: dict[str, dict[str, float]] = {}
    timeout = 60 + 3 * tokens / rate
    with (
        tempfile.TemporaryDirectory(prefix="bench-widget-browser-") as folder,
        lab_notebook(tokens, rate, Path(folder)) as page,
    ):
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        for who in CONTENDERS:
            run_turn(page, who, WARM_UP, timeout)
        for who in CONTENDERS:
            before = _metrics(cdp)
            with read_trace(cdp, page) as trace:
                state = run_turn(page, who, MESSAGE, timeout, SETTLE_MS)
            after = _metrics(cdp)
            counters[who.name] = {k: (after[k] - before[k]) * 1000 for k in after}
            if save is not None:
                run = {"tokens": tokens, "rate": rate, "counters": counters[who.name]}
                _save(save, who.name, trace.events, {**state, **run})
                stem = who.name.replace(" ", "-")
                page.locator(who.root).screenshot(path=str(save / f"{stem}.png"))
            turns[who.name] = turn = analyse(trace.events, state, PER)
            if turn.tokens < 0.9 * tokens:
                raise RuntimeError(
                    f"{who.name}: the page showed {turn.tokens:,} tokens of about {tokens:,} in"
                    f" {who.text!r}: has the streamed text moved?"
                )
    return turns, counters


def _save(folder: Path, name: str, events: list[Any], page: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stem = name.replace(" ", "-")
    (folder / f"{stem}.trace.json").write_text(json.dumps(events), encoding="utf-8")
    (folder / f"{stem}.page.json").write_text(json.dumps(page), encoding="utf-8")


def load(folder: Path, args: Any) -> tuple[dict[str, Turn], dict[str, dict[str, float]]]:
    """The turns and counters of a run saved with ``--save``, analysed again (``args`` takes
    the run's ``tokens`` and ``rate``)."""
    turns, counters = {}, {}
    for who in CONTENDERS:
        stem = who.name.replace(" ", "-")
        events = json.loads((folder / f"{stem}.trace.json").read_text(encoding="utf-8"))
        page = json.loads((folder / f"{stem}.page.json").read_text(encoding="utf-8"))
        args.tokens, args.rate = page["tokens"], page["rate"]
        counters[who.name] = page["counters"]
        turns[who.name] = analyse(events, page, PER)
    return turns, counters


def _metrics(cdp: Any) -> dict[str, float]:
    got = cdp.send("Performance.getMetrics")["metrics"]
    wanted = ("TaskDuration", "ScriptDuration")
    return {m["name"]: float(m["value"]) for m in got if m["name"] in wanted}


# -- the report -----------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} ms"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _at_most(value: float | None, limit: float) -> bool:
    return value is not None and value <= limit


Row = tuple[str, str, str, str, "bool | None"]


def rows(turns: dict[str, Turn], counters: dict[str, dict[str, float]]) -> list[Row]:
    """The table: measure, widget, minimal anywidget, target, ok (None: no target)."""
    w = turns["widget"]

    def row(label: str, get: Any, show: Any = _ms, target: str = "", ok: Any = None) -> Row:
        shown = [show(get(turns[who.name])) for who in CONTENDERS]
        return (label, shown[0], shown[1], target, ok)

    def cdp(name: str) -> Row:
        shown = [_ms(counters[who.name][name]) for who in CONTENDERS]
        return (f"  CDP {name}, whole turn", shown[0], shown[1], "", None)

    table = [
        row(
            "Send click to first token on screen",
            lambda t: t.first_token_ms,
            target=f"< {FIRST_TOKEN_MS:.0f} ms",
            ok=w.first_token_ms < FIRST_TOKEN_MS,
        )
    ]
    picks = (("first", 0), ("middle", None), ("last", -1))
    for label, pick in picks:
        table.append(
            row(
                f"main thread per {PER:,} tokens, {label}",
                lambda t, pick=pick: _task(t.slice(pick)),
            )
        )
    table.append(
        row(
            "  last / first",
            lambda t: t.flatness,
            _ratio,
            f"<= {FLAT_LIMIT}x",
            _at_most(w.flatness, FLAT_LIMIT),
        )
    )
    table.append(row("  median of last 3 / first 3", lambda t: t.flatness_of_three, _ratio))
    for label, pick in picks:
        table.append(
            row(
                f"layout + paint per {PER:,} tokens, {label}",
                lambda t, pick=pick: _layout(t.slice(pick)),
            )
        )

    def longest(label: str, cpu: Any, wall: Any) -> list[Row]:
        target, ok = f"<= {LONG_TASK_MS:.0f} ms", cpu(w) <= LONG_TASK_MS
        return [row(label, cpu, target=target, ok=ok), row("  wall time", wall)]

    return [
        *table,
        *longest(
            "longest task while streaming",
            lambda t: t.longest_streaming_ms,
            lambda t: t.longest_streaming_wall_ms,
        ),
        *longest(
            "longest task at the end of the turn",
            lambda t: t.longest_end_ms,
            lambda t: t.longest_end_wall_ms,
        ),
        row("main thread, whole turn", lambda t: t.total_task_ms),
        row("  wall time", lambda t: t.total_task_wall_ms),
        cdp("TaskDuration"),
        cdp("ScriptDuration"),
        row("tokens seen streaming", lambda t: t.tokens, lambda n: f"{n:,}"),
        row("streaming window", lambda t: t.window_ms),
    ]


def _task(s: Slice | None) -> float | None:
    return None if s is None else s.task_ms


def _layout(s: Slice | None) -> float | None:
    return None if s is None else s.layout_ms


def print_slices(turns: dict[str, Turn]) -> None:
    """Each slice's main-thread and layout + paint time, widget against the baseline."""
    names = [who.name for who in CONTENDERS]
    print(f"per {PER:,} tokens (ms)       main thread              layout + paint")
    print(f"{'tokens':<22}" + f"{names[0]:>10}{'minimal':>10}" * 2)
    for i in range(max(len(turns[name].slices) for name in names)):
        got = [turns[name].slices[i] if i < len(turns[name].slices) else None for name in names]
        task = "".join(f"{'-' if s is None else f'{s.task_ms:.1f}':>10}" for s in got)
        layout = "".join(f"{'-' if s is None else f'{s.layout_ms:.1f}':>10}" for s in got)
        print(f"{f'{i * PER:,}-{(i + 1) * PER:,}':<22}{task}{layout}")


def report(turns: dict[str, Turn], counters: dict[str, dict[str, float]], args: Any) -> bool:
    """Print the table and the per-slice series; return whether every target holds."""
    import jupyterlab

    import workbench

    print(
        f"widget in the browser: local model at {args.rate:g} tokens/s, about {args.tokens:,}"
        f" reply tokens, sliced per {PER:,}; JupyterLab {jupyterlab.__version__}, headless"
        f" Chromium; workbench {workbench.__version__}; {os.cpu_count()} CPUs"
    )
    print()
    table = rows(turns, counters)
    head = ("measure", "widget", "minimal anywidget", "target", "ok")
    print(f"{head[0]:<40}{head[1]:>12}{head[2]:>20}{head[3]:>12}  {head[4]}")
    for label, a, b, target, ok in table:
        verdict = "" if ok is None else ("PASS" if ok else "MISS")
        print(f"{label:<40}{a:>12}{b:>20}{target:>12}  {verdict}".rstrip())
    print()
    print_slices(turns)
    passed = all(ok for *_, ok in table if ok is not None)
    print()
    print(f"verdict: {'PASS' if passed else 'MISS'}")
    return passed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report; with ``--check``, exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--tokens", type=int, default=20_000, help="about this many reply tokens (default 20000)"
    )
    parser.add_argument(
        "--rate", type=float, default=1_000, help="the local model's tokens/s (default 1000)"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2000 tokens")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--save", type=Path, help="keep the traces and page records here")
    parser.add_argument("--load", type=Path, help="report on a run kept with --save instead")
    args = parser.parse_args(argv)
    if args.quick:
        args.tokens = 2_000
    if args.tokens < PER or args.rate <= 0:
        parser.error(f"--tokens must be >= {PER} and --rate > 0")
    if str(REPO_ROOT) not in sys.path:  # this checkout's workbench and tests
        sys.path.insert(0, str(REPO_ROOT))
    started = time.monotonic()
    if args.load is not None:
        turns, counters = load(args.load, args)
    else:
        turns, counters = measure(args.tokens, args.rate, args.save)
    passed = report(turns, counters, args)
    print(f"({time.monotonic() - started:.0f} s)")
    return 1 if args.check and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
