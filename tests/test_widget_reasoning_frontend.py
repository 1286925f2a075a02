"""The "Thinking" block of the widget's front end in headless Chromium (see
``test_widget_frontend.py`` for the harness): it streams above the reply, stays collapsed until
opened, keeps the user's choice when the turn settles, shows the model's text as inert text, and
follows JupyterLab's light and dark theme variables. Screenshots go to the artifacts folder."""

from __future__ import annotations

from typing import Any

import pytest

import workbench
from tests._browser import widget_screenshot as screenshot
from workbench.local import LocalModel, Pacing
from workbench.widgets._widget import widget

from ._frontend import Bridge

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("recording_comm")]

# JupyterLab's dark theme's values for the variables the block uses (and the page's colours).
DARK = {
    "--jp-layout-color0": "#111111",
    "--jp-layout-color2": "#424242",
    "--jp-border-color1": "#616161",
    "--jp-content-font-color1": "rgba(255, 255, 255, 1)",
    "--jp-content-font-color2": "rgba(255, 255, 255, 0.7)",
    "--jp-ui-font-color2": "rgba(255, 255, 255, 0.54)",
}
BLOCK_STYLE = """() => {
  const s = getComputedStyle(document.querySelector('details.wb-thinking'));
  return [s.backgroundColor, s.color];
}"""


def reasoning_chat(pacing: Pacing | None = None) -> workbench.Conversation:
    return workbench.Conversation(
        "workbench-local-reasoning",
        client=workbench.Client(local=LocalModel(pacing=pacing)),
        log=False,
    )


def custom_types(bridge: Bridge) -> list[str | None]:
    """The type of each message the widget sent that the page has not had yet."""
    return [
        m["content"].get("type") if m["method"] == "custom" else None
        for m in bridge.comm.messages[bridge.forwarded :]
    ]


def theme(page: Any, variables: dict[str, str]) -> None:
    """Set JupyterLab's theme variables on the page, as a Lab theme sets them on its body."""
    page.evaluate(
        """(vars) => {
          for (const [k, v] of Object.entries(vars)) document.body.style.setProperty(k, v);
          document.body.style.background = vars['--jp-layout-color0'] || '';
          document.body.style.color = vars['--jp-content-font-color1'] || '';
        }""",
        variables,
    )


def test_the_thinking_streams_collapsed_above_the_reply_and_opens(page: Any) -> None:
    chat = reasoning_chat(Pacing(tokens_per_second=400))
    bridge = Bridge(page, widget(chat))
    page.fill(".wb-input", "Tell me a story about the sea")
    page.click(".wb-send")
    bridge.pump(forward=False)  # the turn runs in Python; what it sent is recorded
    reply = chat.messages[-1]
    assert reply.reasoning and reply.content

    # Up to the last piece of thinking before the answer: a collapsed block, growing.
    kinds = custom_types(bridge)
    first_text = kinds.index("delta")
    thoughts = [i for i, k in enumerate(kinds[:first_text]) if k == "reasoning"]
    assert len(thoughts) >= 2, "the thinking streamed in several messages"
    bridge.forward(thoughts[0] + 1)
    block = page.locator(".wb-entry-streaming details.wb-thinking")
    assert block.count() == 1 and not block.evaluate("d => d.open")
    assert block.locator("summary").inner_text() == "Thinking…"
    first = block.locator(".wb-thinking-text").text_content() or ""
    assert first and reply.reasoning.startswith(first)
    assert not block.locator(".wb-thinking-text").is_visible(), "collapsed: the text is hidden"
    bridge.forward(thoughts[-1] + 1 - thoughts[0] - 1)
    grown = block.locator(".wb-thinking-text").text_content() or ""
    assert len(grown) > len(first) and reply.reasoning.startswith(grown)
    assert page.locator(".wb-entry-streaming .wb-stream-text").count() == 0
    screenshot(page, "widget-thinking-streaming.png")

    # The answer streams below it; the block stays shut until clicked.
    bridge.forward(first_text - thoughts[-1])
    order = page.locator(".wb-entry-streaming > *").evaluate_all(
        "nodes => nodes.map(n => n.className)"
    )
    assert order.index("wb-thinking") < order.index("wb-stream-text wb-plain")
    assert not block.evaluate("d => d.open")
    block.locator("summary").click()
    assert block.evaluate("d => d.open") and block.locator(".wb-thinking-text").is_visible()

    # The turn settles: the sanitized entry replaces the streamed one, still open.
    bridge.forward()
    assert page.locator(".wb-entry-streaming").count() == 0
    settled = page.locator(".wb-entry-assistant details.wb-thinking")
    assert settled.count() == 1 and settled.evaluate("d => d.open"), "the user's choice stays"
    assert settled.locator("summary").inner_text() == "Thinking"
    assert settled.locator(".wb-thinking-text").inner_text() == reply.reasoning
    body = page.locator(".wb-entry-assistant .wb-message > *").evaluate_all(
        "nodes => nodes.map(n => n.tagName)"
    )
    assert body[:2] == ["DIV", "DETAILS"], "right under the role, above the reply"
    screenshot(page, "widget-thinking-open.png")
    settled.locator("summary").click()
    assert not settled.evaluate("d => d.open")
    assert not settled.locator(".wb-thinking-text").is_visible()


def test_a_settled_reply_shows_its_thinking_collapsed(page: Any) -> None:
    chat = reasoning_chat()
    chat.send("What is two plus two?")
    Bridge(page, widget(chat))
    block = page.locator(".wb-entry-assistant details.wb-thinking")
    assert block.count() == 1 and not block.evaluate("d => d.open")
    assert block.locator(".wb-thinking-text").text_content() == chat.messages[-1].reasoning


def test_hostile_thinking_is_inert_text_streamed_and_settled(page: Any) -> None:
    chat = reasoning_chat(Pacing(tokens_per_second=400))
    bridge = Bridge(page, widget(chat))
    hostile = '<img src=x onerror="window.__pwned=1"><b>hi</b>'  # quoted in the thinking
    page.fill(".wb-input", hostile)
    page.click(".wb-send")
    bridge.pump(forward=False)
    assert hostile in (chat.messages[-1].reasoning or "")
    kinds = custom_types(bridge)
    bridge.forward(kinds.index("delta"))  # all the thinking, streamed
    page.locator(".wb-entry-streaming details.wb-thinking summary").click()
    for state in ("streamed", "settled"):
        block = page.locator("details.wb-thinking")
        assert block.count() == 1 and block.evaluate("d => d.open"), state
        assert hostile in block.locator(".wb-thinking-text").inner_text(), state
        assert block.locator("img, b, script").count() == 0, state
        assert page.evaluate("() => window.__pwned") is None, state
        bridge.forward()


@pytest.mark.parametrize("name", ["light", "dark"])
def test_the_block_follows_jupyterlabs_theme(page: Any, name: str) -> None:
    chat = reasoning_chat()
    chat.send("Tell me a story about the sea")
    Bridge(page, widget(chat))
    if name == "dark":
        theme(page, DARK)
    background, color = page.evaluate(BLOCK_STYLE)
    # The primary text colour: the secondary one is under 4.5:1 on Lab's light grey.
    if name == "dark":
        assert (background, color) == ("rgb(66, 66, 66)", "rgb(255, 255, 255)")
    else:  # outside JupyterLab (no variables): the light fallbacks
        assert (background, color) == ("rgb(238, 238, 238)", "rgb(33, 33, 33)")
    screenshot(page, f"widget-thinking-{name}-collapsed.png")
    page.locator("details.wb-thinking summary").click()
    screenshot(page, f"widget-thinking-{name}-open.png")
