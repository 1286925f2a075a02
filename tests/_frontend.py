"""Front ends in headless Chromium without Jupyter: ``Bridge`` plays the kernel between a page
that renders an anywidget's ES module against a stand-in model and the real Python widget.

What the page sends goes to the Python widget as front-end messages; what the Python widget
sends over its (recording) comm, state updates and custom messages, goes back to the page in the
order it was sent. The ``browser`` and ``page`` fixtures are in conftest.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from workbench.widgets._widget import widget

from ._widgets import RecordingComm, front_end, make_chat, recorded

PAGE_URL = "http://localhost:1/widget"
PAGE = '<!doctype html><html><head></head><body><div id="root"></div></body></html>'

# A stand-in for anywidget's model, and the render call, in the page.
HARNESS = """
async ([source, css, state]) => {
  class Model {
    constructor(state) { this.state = state; this.handlers = {}; this.sent = []; }
    get(name) { return this.state[name]; }
    set(name, value) { this.state[name] = value; this.dirty = true; }
    save_changes() { this.saved = (this.saved || 0) + 1; }
    on(name, fn) { (this.handlers[name] = this.handlers[name] || []).push(fn); }
    off(name, fn) { this.handlers[name] = (this.handlers[name] || []).filter((g) => g !== fn); }
    send(content) { this.sent.push(JSON.parse(JSON.stringify(content))); }
    fire(name, arg) { for (const fn of this.handlers[name] || []) fn(arg); }
    update(changes) {
      for (const [name, value] of Object.entries(changes)) this.state[name] = value;
      for (const name of Object.keys(changes)) this.fire(`change:${name}`);
    }
    custom(content, buffers) {
      // as ipywidgets hands them over: DataViews (sent here as base64 text)
      const views = (buffers || []).map((b64) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        return new DataView(bytes.buffer);
      });
      for (const fn of this.handlers["msg:custom"] || []) fn(content, views);
    }
    take() { const out = this.sent; this.sent = []; return out; }
  }
  const style = document.createElement("style");
  style.textContent = css;
  document.head.appendChild(style);
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const module = await import(url);
  window.model = new Model(state);
  const el = document.getElementById("root");
  window.cleanup = module.default.render({ model: window.model, el });
}
"""


class Bridge:
    """The kernel between the page and a Python ``ConversationWidget``."""

    def __init__(self, page: Any, w: Any) -> None:
        self.page = page
        self.widget = w
        self.comm: RecordingComm = recorded(w)
        self.forwarded = len(self.comm.messages)
        full = w.get_state()
        state = {k: v for k, v in full.items() if not k.startswith("_")}
        source, css = str(full["_esm"]), str(full["_css"])
        # A localhost page (served by Playwright's router) is a secure context, as Jupyter on
        # localhost is: the clipboard API exists there.
        page.route(PAGE_URL, lambda route: route.fulfill(body=PAGE, content_type="text/html"))
        page.goto(PAGE_URL)
        page.evaluate(HARNESS, [source, css, json.loads(json.dumps(state))])

    def forward(self, limit: int | None = None) -> None:
        """Send what the Python widget sent since last time (or only ``limit`` messages)."""
        pending = self.comm.messages[self.forwarded :]
        if limit is not None:
            pending = pending[:limit]
        first = self.forwarded
        for k, message in enumerate(pending):
            if message["method"] == "update":
                self.page.evaluate("s => model.update(s)", message["state"])
            elif message["method"] == "custom":
                buffers = [base64.b64encode(b).decode() for b in self.comm.buffers[first + k]]
                self.page.evaluate("([c, b]) => model.custom(c, b)", [message["content"], buffers])
        self.forwarded += len(pending)

    def pump(self, *, forward: bool = True) -> list[dict[str, Any]]:
        """Deliver the page's messages to Python, let a turn they start run to its end, then
        (by default) forward Python's answers."""
        sent: list[dict[str, Any]] = self.page.evaluate("() => model.take()")
        for content in sent:
            front_end(self.widget, content)
        self.settle()
        if forward:
            self.forward()
        return sent

    def settle(self, until: Any = None, timeout: float = 20.0) -> None:
        """Wait until the widget's turn ends (or ``until()`` holds).

        Playwright's sync API runs an event loop on this thread, as ipykernel does, so the
        widget starts its turns as tasks on it; they run while Playwright waits.
        """
        deadline = time.monotonic() + timeout
        task = getattr(self.widget, "_task", None)
        done = until or (lambda: task is None or task.done())
        while not done():
            assert time.monotonic() < deadline, "the turn did not end"
            self.page.wait_for_timeout(5)

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).first.text_content())


def waiting_for_approval(page: Any, **chat_options: Any) -> tuple[Any, Any, Bridge]:
    """A widget (on a chat of ``make_chat(confirm_tools=True, **chat_options)``) whose turn
    waits for the approval of its tool call, drawn in ``page``: ``(chat, widget, bridge)``."""
    chat = make_chat(confirm_tools=True, **chat_options)
    w = widget(chat)
    bridge = Bridge(page, w)
    front_end(w, {"action": "send", "text": "What's the weather in Paris?"})
    bridge.settle(until=lambda: bool(chat.pending_approvals))
    bridge.forward()
    return chat, w, bridge
