"""The conversation widget in a real browser: JupyterLab driven by headless Chromium.

One scenario, end to end: a notebook builds a ``Conversation`` with a tool on the offline local
model and shows its widget; the browser sends a message that calls the tool, changes the
temperature (read back from the kernel), and sends hostile HTML that must stay inert.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    ConsoleMessage,
    Dialog,
    Error,
    Locator,
    Page,
    expect,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from ._browser import (
    GET_WEATHER,
    KERNEL_DISPLAY_NAME,
    LabServer,
    artifacts_dir,
    lab_page,
    open_and_run_all,
    switch_theme,
    widget_screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

NOTEBOOK = "conversation.ipynb"
CELLS = [
    "import os, sys\n"
    "import workbench\n"
    "import workbench.widgets\n"
    'print("kernel prefix:", sys.prefix)\n'
    'print("openai env:", sorted(k for k in os.environ if k.startswith("OPENAI_")))',
    GET_WEATHER,
    "chat = workbench.Conversation(tools=[get_weather], seed=1)\nworkbench.widgets.widget(chat)",
    'print("temperature:", chat.params.temperature)',
    # Media turns from code, run by the test when it is ready (run-all only defines this).
    "import struct, zlib\n"
    "def png(width=48, height=32):\n"
    "    rows = b''.join(b'\\x00' + bytes([200, 40, 90]) * width for _ in range(height))\n"
    "    def chunk(kind, data):\n"
    "        crc = struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)\n"
    "        return struct.pack('>I', len(data)) + kind + data + crc\n"
    "    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)\n"
    "    return (b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', header)\n"
    "            + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))\n"
    "def media_turns():\n"
    "    chat.send(['What is in this picture?', workbench.image(png())])\n"
    "    spoken = {'voice': 'alloy', 'format': 'wav'}\n"
    "    chat.send('Say hello', modalities=['text', 'audio'], audio=spoken)\n"
    "    return 'media turns sent'",
    "",
]
PROBE_CELL = 3
MEDIA_CELL = 5
# The media turns are shown: a thumbnail that loaded from a blob: URL, and a player with a
# duration (its metadata loaded from the kernel's bytes).
MEDIA_SHOWN = """() => {
  const root = document.querySelector('.wb-widget');
  const img = root.querySelector('.wb-media-image img.wb-thumb');
  const audio = root.querySelector('.wb-entry-assistant audio.wb-audio');
  return !!img && img.src.startsWith('blob:') && img.complete && img.naturalWidth === 48
    && !!audio && audio.src.startsWith('blob:') && audio.readyState >= 1 && audio.duration > 0;
}"""
HOSTILE = (
    "[x](javascript:window.__wb_pwned=3) "
    '<a href="javascript:window.__wb_pwned=3">x</a> '
    '<img src=x onerror="window.__wb_pwned=1"><script>window.__wb_pwned=2</script>'
)
# Console errors that come from the widget (its module, its classes, the widget manager).
WIDGET_ERROR = re.compile(r"anywidget|wb-|widget\.js|ConversationWidget|jupyter-widgets", re.I)

# The last turn is over: `users` user messages shown, the last entry a complete assistant
# reply, nothing streaming, Send enabled again.
TURN_DONE = """(users) => {
  const root = document.querySelector('.wb-widget');
  if (!root || root.querySelector('.wb-entry-streaming')) return false;
  const entries = [...root.querySelectorAll('.wb-transcript .wb-entry')];
  const shown = entries.filter((e) => e.querySelector('.wb-message.wb-role-user')).length;
  const last = entries[entries.length - 1];
  return shown === users && !!last && last.dataset.status === 'complete'
    && !!last.querySelector('.wb-message.wb-role-assistant')
    && !root.querySelector('.wb-send').disabled;
}"""
# Records, per message id, the reply text streamed into the transcript (set with textContent
# from custom messages) before the turn's final HTML replaces it.
WATCH_STREAM = """() => {
  window.__wb_streamed = {};
  const transcript = document.querySelector('.wb-widget .wb-transcript');
  new MutationObserver(() => {
    for (const node of transcript.querySelectorAll('.wb-entry-streaming')) {
      const text = node.querySelector('.wb-stream-text')?.textContent;
      if (text) window.__wb_streamed[node.dataset.id] = text;
    }
  }).observe(transcript, {childList: true, subtree: true, characterData: true});
}"""
SET_TEMPERATURE = """(value) => {
  const input = document.querySelector('.wb-widget .wb-temperature');
  input.value = String(value);
  input.dispatchEvent(new Event('change', {bubbles: true}));
  return input.value;
}"""
# Anything in the widget that could run script: handlers, script elements, javascript: links.
ACTIVE_CONTENT = """() => {
  const root = document.querySelector('.wb-widget');
  const found = [];
  for (const el of root.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) {
      if (attr.toLowerCase().startsWith('on')) found.push(`${el.tagName} ${attr}`);
    }
    const href = (el.getAttribute('href') || el.getAttribute('src') || '').trim().toLowerCase();
    if (/^(javascript|vbscript|data:text)/.test(href)) found.push(`${el.tagName} ${href}`);
  }
  for (const tag of ['script', 'iframe', 'object', 'embed', 'img[onerror]',
                     'a[href^="javascript:"]']) {
    for (const el of root.querySelectorAll(tag)) found.push(el.outerHTML.slice(0, 120));
  }
  return found;
}"""


class BrowserLog:
    """Console errors, uncaught page errors and dialogs seen by a page."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}\n{exc.stack}"))
        page.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def widget_errors(self) -> list[str]:
        return [e for e in self.errors if WIDGET_ERROR.search(e)]

    def __str__(self) -> str:
        return "\n".join(["browser errors:", *self.errors, "dialogs:", *self.dialogs])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[LabServer]:
    server = LabServer(tmp_path)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(lab: LabServer, tmp_path: Path) -> Iterator[Page]:
    """A page of a fresh headless Chromium (closed before the Lab server stops)."""
    with lab_page(lab, tmp_path / "chromium-profile") as page:
        yield page


def _cell(page: Page, index: int) -> Locator:
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)


def _output(page: Page, index: int) -> Locator:
    return _cell(page, index).locator(".jp-OutputArea")


def _open_and_run_all(page: Page, lab: LabServer) -> None:
    open_and_run_all(page, lab, NOTEBOOK)
    page.locator(".wb-widget").wait_for(state="visible", timeout=60_000)


def _send(page: Page, text: str, *, users: int, enter: bool = False) -> None:
    """Send ``text`` from the widget's input (Send button, or the Enter key) and wait until the
    turn is over."""
    box = page.locator(".wb-widget .wb-input")
    box.fill(text)
    if enter:
        box.press("Enter")
    else:
        page.locator(".wb-widget .wb-send").click()
    page.wait_for_function(TURN_DONE, arg=users, timeout=30_000)


def _screenshot(page: Page, name: str) -> Path:
    return widget_screenshot(page, name)


@contextlib.contextmanager
def _reported(page: Page, lab: LabServer, log: BrowserLog, name: str) -> Iterator[None]:
    """On a failure inside the block: a screenshot of the page, the browser's errors and the
    Lab server's log, then the failure itself."""
    try:
        yield
    except (AssertionError, Error):
        shot = artifacts_dir() / name
        shot.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Error):
            page.screenshot(path=str(shot))
            print(f"failure screenshot: {shot}")
        print(f"{log}\njupyter lab log:\n{lab.log()}")
        raise


def test_conversation_widget_in_jupyterlab(lab: LabServer, page: Page) -> None:
    started = time.monotonic()
    log = BrowserLog(page)
    lab.write_notebook(NOTEBOOK, CELLS)
    with _reported(page, lab, log, "failure.png"):
        _open_and_run_all(page, lab)
        # The kernel runs this interpreter (the project's venv) with no OpenAI key or server.
        prefix = re.compile(rf"kernel prefix: {re.escape(sys.prefix)}\s")
        expect(_output(page, 0)).to_contain_text(prefix)
        expect(_output(page, 0)).to_contain_text("openai env: []")
        widget = page.locator(".wb-widget")

        # A message that calls the tool: the call, its arguments and result, then the reply.
        page.evaluate(WATCH_STREAM)
        _send(page, "What is the weather in Paris?", users=1)
        statuses = widget.locator(".wb-entry").evaluate_all("es => es.map(e => e.dataset.status)")
        assert statuses == ["complete"] * 3, statuses  # user, tool call and result, reply
        calls = widget.locator(".wb-tool-call")
        assert calls.count() == 1, log
        assert calls.locator(".wb-tool-name").inner_text().strip() == "get_weather"
        args = calls.locator(".wb-tool-args").inner_text()
        assert '"city": "Paris"' in args, calls.inner_html()
        result = calls.locator(".wb-tool-result").inner_text()
        assert "21" in result and "sunny" in result, result
        replies = widget.locator(".wb-entry[data-status='complete'] .wb-message.wb-role-assistant")
        final = replies.last.inner_text()
        assert "Paris" in final and "21" in final, final
        streamed = page.evaluate("Object.values(window.__wb_streamed)")
        assert any(len(t) > 60 and t.strip()[:60] in final for t in streamed), (final, streamed)
        _screenshot(page, "widget-tool-call.png")

        # The temperature control reaches the kernel's conversation.
        probe = _output(page, PROBE_CELL)
        expect(probe).to_have_text(re.compile(r"^\s*temperature: None\s*$"), timeout=30_000)
        assert page.evaluate(SET_TEMPERATURE, 0.7) == "0.7"
        _cell(page, PROBE_CELL).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")
        expect(probe).to_have_text(re.compile(r"^\s*temperature: 0\.7\s*$"), timeout=30_000)

        # Hostile HTML in the user message comes back in the model's reply: all of it inert.
        _send(page, HOSTILE, users=2, enter=True)
        # Shown as text: the user's message as typed, the reply quoting it.
        user = widget.locator(".wb-message.wb-role-user").last.inner_text()
        assert '<img src=x onerror="window.__wb_pwned=1"><script>' in user, user
        assert "<script>window.__wb_pwned=2</script>" in replies.last.inner_text()
        assert page.evaluate("typeof window.__wb_pwned") == "undefined"
        assert page.evaluate(ACTIVE_CONTENT) == []
        assert widget.locator("script, img[onerror], a[href^='javascript:' i]").count() == 0
        for link in widget.get_by_role("link", name="x", exact=True).all():
            link.click()
        with pytest.raises(PlaywrightTimeoutError):
            page.wait_for_function("window.__wb_pwned !== undefined", timeout=500)
        _screenshot(page, "widget-hostile.png")

        # An image turn and a spoken reply, sent from code: a thumbnail and a player appear.
        media = time.monotonic()
        _cell(page, MEDIA_CELL).locator(".jp-InputArea-editor").click()
        page.keyboard.type("media_turns()")
        page.keyboard.press("Control+Enter")
        expect(_output(page, MEDIA_CELL)).to_contain_text("media turns sent", timeout=30_000)
        page.wait_for_function(TURN_DONE, arg=4, timeout=30_000)
        page.wait_for_function(MEDIA_SHOWN, timeout=30_000)
        label = widget.locator(".wb-media-image img.wb-thumb").get_attribute("alt")
        assert label is not None and "PNG 48x32" in label, label
        assert widget.locator(".wb-entry-assistant .wb-transcript-text").last.inner_text()
        widget.locator(".wb-media-image img.wb-thumb").click()
        assert page.locator(".wb-lightbox img").is_visible()
        page.keyboard.press("Escape")
        assert page.locator(".wb-lightbox").count() == 0
        _screenshot(page, "widget-media.png")
        print(f"browser test: media turns shown in {time.monotonic() - media:.1f} s")

        assert not log.dialogs, log
        assert not log.widget_errors(), log
        print(f"browser test: {time.monotonic() - started:.1f} s in the test body")
        if log.errors:
            print(log)


MAGIC_NOTEBOOK = "magics.ipynb"
MAGIC_CELLS = [
    "%load_ext workbench",
    "%%chat\nTell me three facts about tide pools.",
    "%chat What is two plus two?",
    "%%grid -m workbench-local -m workbench-local-terse\nName a fruit.\nName a colour.",
]
# Per cell: the outputs that take room on the page, and the ones hidden (the saved records of
# the finished turn and grid, which JupyterLab's widget renderer hides).
OUTPUTS = """(cell) => [...cell.querySelectorAll('.jp-OutputArea-child')].map((child) => {
  const output = child.querySelector('.jp-OutputArea-output');
  return {
    height: child.getBoundingClientRect().height,
    hidden: !output || output.classList.contains('lm-mod-hidden'),
    widget: !!child.querySelector('.wb-widget, .wbg-table'),
    text: (child.innerText || '').slice(0, 80),
  };
})"""


def test_magic_cells_show_one_live_view_each(lab: LabServer, page: Page) -> None:
    """``%%chat``, ``%chat ...?`` and ``%%grid`` in JupyterLab: each cell shows its widget and
    nothing else (the saved record of the finished text takes no room), in light and dark
    themes and at a narrow width."""
    log = BrowserLog(page)
    lab.write_notebook(MAGIC_NOTEBOOK, MAGIC_CELLS)
    with _reported(page, lab, log, "failure-magics.png"):
        page.goto(lab.lab_url(MAGIC_NOTEBOOK))
        status = page.locator("#jp-main-statusbar").get_by_text(f"{KERNEL_DISPLAY_NAME} | Idle")
        status.wait_for(state="visible", timeout=60_000)
        page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
        page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()
        grid = _cell(page, 3).locator(".wbg-table")
        grid.wait_for(state="visible", timeout=60_000)
        page.wait_for_function(
            "() => document.querySelectorAll('.wbg-cell[data-status=\"done\"]').length === 4",
            timeout=60_000,
        )
        page.wait_for_function(TURN_DONE.replace("document.querySelector('.wb-widget')",
                                                 "document.querySelectorAll('.wb-widget')[1]"),
                               arg=1, timeout=30_000)  # fmt: skip
        for index in (1, 2, 3):
            cell = _cell(page, index)
            expect(cell.locator(".jp-OutputArea-child")).to_have_count(
                3 if index == 1 else 2, timeout=30_000
            )  # the first turn also shows the no-key notice
            outputs = cell.evaluate(OUTPUTS)
            shown = [o for o in outputs if not o["hidden"]]
            hidden = [o for o in outputs if o["hidden"]]
            assert [o["widget"] for o in shown][-1:] == [True], outputs
            assert sum(o["widget"] for o in shown) == 1, outputs
            assert len(hidden) == 1 and hidden[0]["height"] == 0, outputs
        question = _cell(page, 2).locator(".wb-message.wb-role-user")
        expect(question).to_have_text(re.compile(r"What is two plus two\?"))
        assert "not found" not in (_output(page, 2).inner_text())
        for theme in ("light", "dark"):
            if theme == "dark":
                switch_theme(page, "JupyterLab Dark")
            for width in (1280, 520):
                page.set_viewport_size({"width": width, "height": 1100})
                for index, name in ((1, "chat"), (3, "grid")):
                    path = artifacts_dir() / f"magic-{name}-{theme}-{width}.png"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    _cell(page, index).scroll_into_view_if_needed()
                    _output(page, index).screenshot(path=str(path))
                    print(f"screenshot: {path}")
        assert not log.dialogs, log
        assert not log.widget_errors(), log
