"""Exported HTML with model output as an attacker: a notebook that runs a hostile turn (the
widget, its text fallback, a DataFrame of the transcript, a ``%%chat`` turn) executed as Jupyter
does (nbclient, widget state saved) and exported by nbconvert to HTML.

"Exported HTML" here is what leaves the notebook: nbconvert's HTML, which embeds the widgets'
saved state (our sanitized HTML, inside a JSON script element) and the text and table outputs.
Checked statically (the attacks add no element and break out of no script element; the saved
widget HTML is inert) and in Chromium with the network cut (nothing runs, and nothing is asked
of the attackers' hosts).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests._notebook import run_notebook
from tests.test_hostile_render import ATTACKS
from tests.test_render import assert_inert, elements

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# The attacks, and text that opens an HTML comment and a script inside a script element's text
# (the "double escaped" state of the HTML parser, where "</script>" no longer ends the element).
ATTACK = "\n\n".join([*ATTACKS.values(), "<!--<script>"])
ATTACKER_HOSTS = ("evil.example", "tracker.example", "ok.example")
PAGE_URL = "http://localhost:1/export.html"


def cells(text_file: Path) -> list[str]:
    """The notebook: its code is the same whatever the text (read from ``text_file``)."""
    return [
        "import pathlib, workbench, workbench.widgets\n"
        f"ATTACK = pathlib.Path({str(text_file)!r}).read_text(encoding='utf-8')",
        "def lookup(query: str) -> str:\n    '''Look something up.'''\n    return ATTACK",
        "chat = workbench.Conversation(tools=[lookup], log=False)\n"
        "chat.send('lookup ' + ATTACK)\nchat",
        "chat.to_dataframe()[['role', 'content', 'tool_calls']]",
        "print(workbench.widgets.transcript_text(chat))",
        "%load_ext workbench",
        "%%chat other\n{ATTACK}",
    ]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """The executed notebook and its HTML, for the attacks and for plain text as long."""
    base = tmp_path_factory.mktemp("export")
    out = {}
    for name, text in (("hostile", ATTACK), ("benign", "x" * len(ATTACK))):
        (base / f"{name}.txt").write_text(text, encoding="utf-8")
        out[name] = run_notebook(base / name, cells(base / f"{name}.txt"))
    return out


class _Scripts(HTMLParser):
    """Each script element: its attributes and its raw text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def scripts(html: str) -> list[tuple[dict[str, str | None], str]]:
    parser = _Scripts()
    parser.feed(html)
    parser.close()
    return parser.scripts


def test_the_attacks_add_no_element_to_the_exported_page(
    exports: dict[str, tuple[str, str]],
) -> None:
    hostile, benign = exports["hostile"][1], exports["benign"][1]
    shape = Counter((t, tuple(sorted(n for n, _ in a))) for t, a in elements(hostile))
    plain = Counter((t, tuple(sorted(n for n, _ in a))) for t, a in elements(benign))
    assert shape == plain, shape - plain
    assert [attrs for attrs, _ in scripts(hostile)] == [attrs for attrs, _ in scripts(benign)]
    assert "window.__pwned" in hostile, "the attacks are in the page, as text"


def test_no_attack_closes_a_script_element(exports: dict[str, tuple[str, str]]) -> None:
    for attrs, text in scripts(exports["hostile"][1]):
        assert not re.search(r"</script", text, re.IGNORECASE), (attrs, text[:200])


def _widget_html(html: str) -> list[str]:
    """The transcript HTML the saved widget state carries (what a widget manager would show)."""
    found: list[str] = []
    for attrs, text in scripts(html):
        if attrs.get("type") != "application/vnd.jupyter.widget-state+json":
            continue
        state = json.loads(text)

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                if isinstance(value.get("html"), str):
                    found.append(value["html"])
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(state)
    return found


def test_the_saved_widget_state_carries_only_inert_html(
    exports: dict[str, tuple[str, str]],
) -> None:
    saved = _widget_html(exports["hostile"][1])
    assert len(saved) >= 4, "the widgets' transcripts were saved with the notebook"
    for fragment in saved:
        assert_inert(fragment, remote_images=True)
    assert any("__pwned" in fragment for fragment in saved), "the attacks are there, as text"


@pytest.mark.browser
def test_the_exported_page_runs_nothing_and_loads_nothing_of_the_attackers(
    browser: Any, exports: dict[str, tuple[str, str]], tmp_path: Path
) -> None:
    html = exports["hostile"][1]
    page = browser.new_page()
    asked: list[str] = []
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    def route(request: Any) -> None:
        if request.request.url == PAGE_URL:
            request.fulfill(body=html, content_type="text/html")
        else:  # nbconvert's own scripts (require.js, the widget manager) and anything else
            asked.append(request.request.url)
            request.abort()

    page.route("**/*", route)
    try:
        page.goto(PAGE_URL, wait_until="load")
        page.wait_for_timeout(500)
        for link in page.locator("a").all()[:50]:
            link.click(modifiers=["Alt"], no_wait_after=True, timeout=1000)
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.__pwned") is None
        assert page.evaluate("() => document.querySelectorAll('[onerror],[onload]').length") == 0
    finally:
        page.close()
    assert dialogs == []
    assert not [url for url in asked if any(host in url for host in ATTACKER_HOSTS)], asked


@pytest.mark.browser
@pytest.mark.xfail(
    strict=True,
    reason="nbconvert escapes only '/' in the widget state it embeds in a script element: a"
    " user's text holding '<!--<script>' (or a server's error, or a tool call's arguments"
    " waiting for approval) makes the browser run the element on past its end, so the saved"
    " widgets do not render in the exported page (nothing runs). Upstream: nbconvert's"
    " escape_html_script should escape '<' too.",
)
def test_the_saved_widget_state_reads_back_in_the_exported_page(
    browser: Any, exports: dict[str, tuple[str, str]]
) -> None:
    page = browser.new_page()
    try:
        page.route("**/*", lambda route: route.abort())
        page.set_content(exports["hostile"][1], wait_until="domcontentloaded")
        parsed = page.evaluate(
            """() => {
              const s = document.querySelector(
                'script[type="application/vnd.jupyter.widget-state+json"]');
              try { JSON.parse(s.textContent); return true; } catch (e) { return false; }
            }"""
        )
    finally:
        page.close()
    assert parsed
