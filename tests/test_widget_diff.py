"""The diff of two versions of a message: ``Conversation.diff`` in Python, and the widget's
"Diff" action on a message with an earlier version, drawn word by word under it in headless
Chromium (the harness of ``test_widget_frontend.py``), escaped, with AA contrast in light and
dark. Screenshots (light, dark, narrow) go to the artifacts folder."""

from __future__ import annotations

from typing import Any

import pytest

from tests._browser import widget_screenshot as screenshot
from tests._contrast import AA, CONTRAST, theme_css
from tests._widgets import front_end, make_chat, recorded
from workbench.widgets._widget import widget

from ._frontend import Bridge

HOSTILE = 'Tell me <img src=x onerror="window.pwned=1"> about <b>sea</b> & sky'


def regenerated(text: str = "Tell me a story about the sea") -> Any:
    chat = make_chat()
    chat.send(text)
    chat.regenerate()
    return chat


# -- Python ------------------------------------------------------------------------------------


def test_conversation_diff_of_two_versions_and_of_any_two_messages() -> None:
    chat = regenerated()
    first, second = chat.branches(-1)
    diff = chat.diff(-1)  # the current reply against the version before it
    assert (diff.before, diff.after) == (first.text, second.text)
    assert diff.changed and diff.inserted + diff.deleted > 0
    assert "".join(t for op, t in diff.ops if op != "insert") == first.text
    assert "".join(t for op, t in diff.ops if op != "delete") == second.text
    assert chat.diff(first, second) == diff  # messages, or indexes on the branch
    assert chat.diff(0, -1).before == "Tell me a story about the sea"
    with pytest.raises(ValueError, match="no earlier version"):
        chat.diff(0)
    chat.switch(-1, 0)
    with pytest.raises(ValueError, match="no earlier version"):
        chat.diff(-1)


@pytest.mark.usefixtures("recording_comm")
def test_the_widget_action_sends_the_diff_to_its_view() -> None:
    chat = regenerated()
    w = widget(chat)
    comm = recorded(w)
    reply = chat.messages[-1]
    front_end(w, {"action": "diff", "id": reply.id, "request": "view-1"})
    sent = [m["content"] for m in comm.messages if m["method"] == "custom"]
    assert sent[-1] == {
        "type": "diff",
        "id": reply.id,
        "from": 1,
        "to": 2,
        "ops": [list(op) for op in chat.diff(-1).ops],
        "request": "view-1",  # the view that asked opens it, not every view of the widget
    }
    before = len(comm.messages)
    assert w.diff(chat.messages[0].id) is None  # no earlier version: nothing sent
    assert w.diff("no-such-message") is None
    assert len(comm.messages) == before


# -- the front end -----------------------------------------------------------------------------


def theme(page: Any, name: str) -> None:
    """Load one of JupyterLab's themes' variables, and its light/dark flag, as Lab does."""
    page.add_style_tag(content=theme_css(name))
    page.evaluate(
        """(light) => {
          document.body.setAttribute('data-jp-theme-light', String(light));
          document.body.style.background = 'var(--jp-layout-color0)';
          document.body.style.color = 'var(--jp-content-font-color1)';
        }""",
        name == "light",
    )


def contrast_failures(page: Any) -> list[Any]:
    rows = page.evaluate(CONTRAST, ".wb-diff-panel")
    assert rows, "no text measured in the diff"
    return [r for r in rows if r["ratio"] < AA]


@pytest.mark.browser
@pytest.mark.usefixtures("recording_comm")
def test_diff_under_a_regenerated_reply_escaped_and_readable(page: Any) -> None:
    chat = regenerated(HOSTILE)
    bridge = Bridge(page, widget(chat))
    entries = page.locator(".wb-entry")
    reply = entries.last
    assert reply.locator(".wb-diff-button").count() == 1  # version 2 of 2
    assert entries.first.locator(".wb-diff-button").count() == 0  # the prompt: one version
    reply.hover()
    reply.locator(".wb-diff-button").click()
    bridge.pump()
    panel = reply.locator(".wb-diff-panel")
    assert panel.locator(".wb-diff-title").text_content() == (
        "Changes from version 1 to 2 (struck: removed, underlined: added)"
    )
    diff = chat.diff(-1)
    shown = panel.locator(".wb-diff")
    assert shown.text_content() == "".join(text for _, text in diff.ops)
    assert shown.locator("del").all_text_contents() == [t for op, t in diff.ops if op == "delete"]
    assert shown.locator("ins").all_text_contents() == [t for op, t in diff.ops if op == "insert"]
    assert shown.locator("img, b").count() == 0 and "<img" in (shown.text_content() or "")
    assert page.evaluate("() => window.pwned") is None
    styles = shown.locator("del").first.evaluate(
        "n => [getComputedStyle(n).textDecorationLine, getComputedStyle(n).backgroundColor]"
    )
    assert styles == ["line-through", "rgb(255, 205, 210)"]  # --jp-error-color3

    theme(page, "light")
    assert contrast_failures(page) == []
    screenshot(page, "widget-diff-light.png")
    theme(page, "dark")
    assert contrast_failures(page) == []
    ins = shown.locator("ins").first.evaluate("n => getComputedStyle(n).color")
    assert ins == "rgb(200, 230, 201)"  # --jp-success-color3 on a dark wash
    screenshot(page, "widget-diff-dark.png")
    theme(page, "dark-high-contrast")
    assert contrast_failures(page) == []
    page.set_viewport_size({"width": 420, "height": 900})
    screenshot(page, "widget-diff-narrow.png")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 420, "the diff must wrap, not scroll the page sideways"

    # A diff another view of the widget asked for does not open here.
    bridge.widget.diff(chat.messages[-1].id, request="another-view")
    reply.locator(".wb-diff-panel").evaluate("p => p.remove()")
    bridge.forward()
    assert reply.locator(".wb-diff-panel").count() == 0
    reply.locator(".wb-diff-button").click()
    bridge.pump()
    assert reply.locator(".wb-diff-panel").count() == 1
    reply.locator(".wb-diff-button").click()  # a second click closes it
    assert reply.locator(".wb-diff-panel").count() == 0
    chat.switch(-1, 0)  # the first version has no earlier one: no Diff
    bridge.forward()
    assert page.locator(".wb-entry").last.locator(".wb-diff-button").count() == 0
