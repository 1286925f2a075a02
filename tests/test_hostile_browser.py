"""Model output as an attacker in a real browser: the widget's front end (``widget.js``) in
headless Chromium, wired by the ``Bridge`` to a real Python widget whose conversation talks to a
hostile server (every reply, tool argument, tool name and tool result an attack).

For every state the page goes through, message by message as the kernel would deliver them
(the streamed deltas, the tool calls as they start, the finished transcript), nothing executes
(``window.__pwned`` stays unset, no dialog opens, no page error), nothing is requested from the
network (every request but the page itself fails the test), and no element of the widget carries
an event handler, a ``style`` attribute, a ``javascript:``-like URL, or is a script, frame,
object, style or form element.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import workbench
from tests._frontend import PAGE_URL, Bridge
from tests._mock import chunk_json, make_client, sse_body, sse_response
from tests._widgets import front_end
from tests.test_hostile_render import ATTACKS, hostile_server, lookup
from workbench.widgets._widget import widget

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("recording_comm")]

# The attacks in groups (one turn each): every one is in some turn, in a reply, a tool's
# arguments, a tool's name and a tool's result.
GROUP = 8
GROUPS = [list(ATTACKS.values())[i : i + GROUP] for i in range(0, len(ATTACKS), GROUP)]

# Everything in the widget that could run script, load something, or restyle the page.
ACTIVE = """() => {
  const found = [];
  const root = document.querySelector('.wb-widget');
  for (const el of [root, ...root.querySelectorAll('*')]) {
    const tag = el.tagName.toLowerCase();
    if (['script', 'iframe', 'frame', 'object', 'embed', 'style', 'link', 'meta', 'base', 'form',
         'svg', 'math', 'video', 'audio', 'source', 'template', 'noscript'].includes(tag)) {
      found.push(`element ${tag}`);
    }
    for (const name of el.getAttributeNames()) {
      const value = (el.getAttribute(name) || '').replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
      if (name.startsWith('on')) found.push(`${tag} ${name}`);
      if (name === 'style' || name === 'srcset' || name === 'srcdoc') found.push(`${tag} ${name}`);
      if (/^(javascript|vbscript|livescript|data:text|data:image\\/svg)/.test(value)) {
        found.push(`${tag} ${name}=${value.slice(0, 40)}`);
      }
      if (value.includes('url(')) found.push(`${tag} ${name} url()`);
      if (name === 'href' && !/^(https?:|mailto:)/.test(value)) found.push(`${tag} href ${value}`);
      if (name === 'src' && !/^data:image\\/(png|jpeg|gif|webp);base64,/.test(value)) {
        found.push(`${tag} src ${value.slice(0, 40)}`);
      }
    }
  }
  return found;
}"""


@pytest.fixture
def guarded(page: Any) -> Iterator[tuple[Any, list[str]]]:
    """The page with every request but the page itself refused and recorded."""
    requested: list[str] = []

    def refuse(route: Any) -> None:
        requested.append(route.request.url)
        route.abort()

    page.context.route("**/*", refuse)  # popups too; the Bridge's route for the page wins
    yield page, requested
    assert requested == [], f"the page asked the network for {requested}"


def assert_nothing_active(page: Any) -> None:
    assert page.evaluate("() => window.__pwned") is None, "an attack ran"
    assert page.evaluate(ACTIVE) == []
    # A reply cannot forge a media placeholder, so the page asks the kernel for no media.
    assert page.locator(".wb-media, [data-wb-hash], [data-wb-kind]").count() == 0
    assert page.evaluate("() => model.sent.filter((m) => m.action === 'media').length") == 0


def hover_everything(page: Any) -> None:
    """Move the mouse over every element of the transcript (mouseover handlers, if any)."""
    for node in page.locator(".wb-transcript *").all()[:300]:
        if node.is_visible():
            node.hover(timeout=1000, force=True)


def step_through(bridge: Bridge, page: Any) -> int:
    """Deliver what Python sent one message at a time, checking the page after each."""
    steps = 0
    while bridge.forwarded < len(bridge.comm.messages):
        bridge.forward(limit=1)
        assert_nothing_active(page)
        steps += 1
    return steps


def hostile_conversation(attack: str, **kwargs: Any) -> workbench.Conversation:
    return workbench.Conversation(
        client=make_client("async", hostile_server(attack)),
        model="gpt-4o-mini",
        tools=[lookup],
        log=False,
        **kwargs,
    )


@pytest.mark.parametrize("group", GROUPS, ids=[f"attacks-{i}" for i in range(len(GROUPS))])
def test_a_hostile_turn_stays_inert_at_every_step_in_the_page(
    guarded: tuple[Any, list[str]], group: list[str]
) -> None:
    page, _ = guarded
    attack = "\n\n".join(group)
    chat = hostile_conversation(attack)
    w = widget(chat)
    bridge = Bridge(page, w)
    page.fill(".wb-input", "Look it up")
    page.click(".wb-send")
    bridge.pump(forward=False)
    assert [m.role for m in chat.messages] == ["user", "assistant", "tool", "tool", "assistant"]
    custom = [m["content"].get("type") for m in bridge.comm.messages if m["method"] == "custom"]
    assert "delta" in custom and "tool_call" in custom, "the turn streamed through widget.js"
    assert step_through(bridge, page) > 5
    hover_everything(page)
    page.wait_for_timeout(50)
    assert_nothing_active(page)
    shown = bridge.text(".wb-transcript")
    assert "__pwned" in shown or "javascript" in shown.lower(), "the attacks show, as text"


def test_streamed_structured_output_and_refusals_stay_inert(guarded: tuple[Any, list[str]]) -> None:
    page, _ = guarded
    attack = "\n".join(ATTACKS.values())
    document = json.dumps({"html": attack, "items": [attack[:200]] * 3})
    chunks = [chunk_json({"role": "assistant", "content": ""})]
    chunks += [chunk_json({"content": document[i : i + 40]}) for i in range(0, len(document), 40)]
    chunks += [chunk_json({"refusal": attack[i : i + 60]}) for i in range(0, 600, 60)]
    chunks += [chunk_json({}, finish_reason="stop")]

    def handler(request: httpx.Request) -> httpx.Response:
        return sse_response(sse_body(*chunks))

    chat = workbench.Conversation(
        client=make_client("async", handler),
        model="gpt-4o-mini",
        log=False,
        response_format={"type": "json_object"},
    )
    bridge = Bridge(page, widget(chat))
    front_end(bridge.widget, {"action": "send", "text": "As JSON, please"})
    bridge.settle()
    custom = [m["content"].get("type") for m in bridge.comm.messages if m["method"] == "custom"]
    assert "json" in custom and "refusal" in custom
    step_through(bridge, page)
    assert_nothing_active(page)


def test_a_hostile_call_waiting_for_approval_and_a_hostile_error_stay_inert(
    guarded: tuple[Any, list[str]],
) -> None:
    page, _ = guarded
    attack = "\n".join(ATTACKS.values())
    chat = hostile_conversation(attack, confirm_tools=True)
    w = widget(chat)
    bridge = Bridge(page, w)
    front_end(w, {"action": "send", "text": "Look it up"})
    bridge.settle(until=lambda: bool(chat.pending_approvals))
    step_through(bridge, page)
    assert page.locator(".wb-approval").count() == 1
    assert "__pwned" in page.locator(".wb-approval-args").input_value(), "shown as text"
    assert_nothing_active(page)
    page.click(".wb-deny")
    bridge.pump()
    step_through(bridge, page)
    assert_nothing_active(page)

    def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": {"message": attack}})

    chat.client = make_client("async", failing, max_retries=0)
    front_end(w, {"action": "send", "text": "Again"})
    bridge.settle()
    step_through(bridge, page)
    mark = bridge.text(".wb-entry:last-child .wb-ending")  # on the reply it failed, once
    assert "__pwned" in mark, "the server's message shows, as text"
    assert bridge.text(".wb-error-line") == ""
    assert_nothing_active(page)


def test_the_checks_catch_what_they_should(browser: Any) -> None:
    """The checks above are not blind: attacks inserted as HTML are caught by each of them."""
    page = browser.new_page()
    requested: list[str] = []

    def route(request: Any) -> None:
        if request.request.url == PAGE_URL:
            request.fulfill(body=_CAUGHT, content_type="text/html")
        else:
            requested.append(request.request.url)
            request.abort()

    page.context.route("**/*", route)
    try:
        page.goto(PAGE_URL)
        page.wait_for_timeout(300)
        found = page.evaluate(ACTIVE)
        pwned = page.evaluate("() => window.__pwned")
    finally:
        page.close()
    assert any("onerror" in f for f in found) and any("javascript" in f for f in found), found
    assert any("style" in f for f in found) and any("element script" in f for f in found)
    assert pwned == 1
    assert any("evil.example" in url for url in requested)


_CAUGHT = """<!doctype html><html><body><div class="wb-widget">
<img src="https://evil.example/x.png" onerror="window.__pwned=1">
<a href="javascript:void(0)">x</a><p style="color:red">x</p><script>void 0</script>
</div></body></html>"""
