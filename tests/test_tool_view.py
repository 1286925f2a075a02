"""A tool call in the transcript: labelled arguments and result, its status and time in words,
long parts collapsed; and what the conversation records for it (how long the tool ran, what
the user decided)."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from typing import Any

import pytest

from workbench.conversation._history import Latency, Message
from workbench.widgets._render import message_to_html
from workbench.widgets._tool_view import LONG_CHARS, LONG_LINES, duration_text
from workbench.widgets._widget import widget

from ._widgets import front_end, make_chat


def call(arguments: str = '{"city": "Paris"}', call_id: str = "a") -> dict[str, Any]:
    return {"id": call_id, "type": "function",
            "function": {"name": "get_weather", "arguments": arguments}}  # fmt: skip


def shown(result: Message | None = None, live: str | None = None, **kw: Any) -> str:
    calls = [call(**kw)]
    results = {"a": result} if result is not None else {}
    lives = {"a": live} if live else None
    reply = Message(role="assistant", tool_calls=calls)
    return message_to_html(reply, tool_results=results, live=lives)  # type: ignore[arg-type]


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def tool(content: str = '{"temperature": 21}', **fields: Any) -> Message:
    return Message(role="tool", tool_call_id="a", content=content, **fields)


def test_a_call_is_labelled_arguments_and_result_with_status_and_time() -> None:
    html = shown(tool(latency=Latency(total=0.012)))
    start = html.index('<div class="wb-tool-head">')
    head = html[start : html.index("</div>", start)]
    assert plain(head) == "get_weather done took 12 ms"
    assert 'class="wb-tool-state wb-tool-done"' in html
    labels = re.findall(r'class="wb-tool-label">([^<]+)<', html)
    assert labels == ["arguments", "result"]
    assert html.index("Paris") < html.index(">result<") < html.index("temperature")
    assert "<details" not in html, "short parts are shown open"


@pytest.mark.parametrize(
    ("result", "live", "words", "cls"),
    [
        (None, "running", "running", "wb-tool-active"),
        (None, "waiting", "waiting for approval", "wb-tool-waiting"),
        (None, None, "not run", "wb-tool-pending"),
        ("failed", None, "failed", "wb-tool-failed"),
        ("deny", None, "denied", "wb-tool-denied"),
        ("answer", None, "answered by the user", "wb-tool-answered"),
    ],
)
def test_every_status_in_words(result: str | None, live: str | None, words: str, cls: str) -> None:
    message = None
    if result == "failed":
        error = json.dumps({"error": "ValueError: no such city"})
        message = tool(error, error=error, latency=Latency(total=0.5))
    elif result == "deny":
        error = json.dumps({"error": "the user declined to run get_weather"})
        message = tool(error, error=error, decision="deny", latency=Latency(total=0.0))
    elif result == "answer":
        message = tool("sunny, says the user", decision="answer", latency=Latency(total=0.0))
    html = shown(message, live)
    assert f'<span class="wb-tool-state {cls}">{words}</span>' in html
    took = "took" in html
    assert took == (result == "failed"), "a time only for a tool that ran"
    if result == "failed":
        assert "took 500 ms" in html
        assert ">error<" in html and "ValueError: no such city" in plain(html)
        assert '{"error"' not in html, "the words of the error, not its JSON"
    if result == "deny":
        assert "the user declined to run get_weather" in plain(html)
    if message is None:
        assert ">result<" not in html and ">error<" not in html


def lines(n: int) -> str:
    return "\n".join(f"line {i}" for i in range(n))


@pytest.mark.parametrize(
    ("text", "collapsed", "size"),
    [
        (lines(LONG_LINES), False, None),
        (lines(LONG_LINES + 1), True, f"({LONG_LINES + 1} lines)"),
        ("x" * LONG_CHARS, False, None),
        ("x" * (LONG_CHARS + 1), True, f"({LONG_CHARS + 1} characters)"),
    ],
)
def test_long_arguments_and_results_collapse_short_ones_stay_open(
    text: str, collapsed: bool, size: str | None
) -> None:
    html = shown(tool(text, latency=Latency(total=0.1)))
    assert ('<details class="wb-tool-section wb-tool-result">' in html) == collapsed
    assert ("<details" in html) == collapsed, "the arguments are short"
    if size:
        summary = f'<summary class="wb-tool-label">result <span class="wb-tool-size">{size}'
        assert summary in html
    assert all(part in html for part in text.split("\n")), "collapsed, not cut"
    # Arguments: measured as shown (pretty-printed JSON), the same rule.
    many = json.dumps({f"k{i}": i for i in range(LONG_LINES)})  # LONG_LINES + 2 lines shown
    html = shown(arguments=many)
    assert '<details class="wb-tool-section wb-tool-args">' in html
    assert f'arguments <span class="wb-tool-size">({LONG_LINES + 2} lines)' in html


def test_forged_tool_markup_in_a_reply_stays_text() -> None:
    forged = '<details class="wb-tool-section" open><summary class="wb-tool-label">x</summary>'
    html = message_to_html(Message(role="assistant", content=forged))
    assert "<details" not in html and "&lt;details" in html


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0004, "< 1 ms"), (0.0123, "12 ms"), (1.234, "1.23 s"), (95.2, "95 s")],
)
def test_durations_read_as_people_read_them(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


# -- the widget: the status while the turn runs -------------------------------------------------


async def wait_for(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


def call_html(w: Any) -> str:
    entry = next(e for e in reversed(w.messages_html) if "wb-tool-call" in e["html"])
    return str(entry["html"])


@pytest.mark.usefixtures("recording_comm")
@pytest.mark.parametrize("decision", ["approve", "deny", "answer"])
async def test_the_widget_shows_waiting_running_then_how_it_ended(decision: str) -> None:
    release = threading.Event()

    def get_weather(city: str) -> dict[str, Any]:
        """Get the weather.

        Args:
            city: the city.
        """
        release.wait(10)
        return {"city": city, "temperature": 21}

    chat = make_chat(confirm_tools=True)
    chat.tools.clear()
    chat.tool(get_weather)
    w = widget(chat)
    w.send("What's the weather in Paris?")
    await wait_for(lambda: bool(w.pending))
    assert "waiting for approval" in call_html(w) and ">arguments<" in call_html(w)
    call_id = w.pending[0]["call_id"]
    front_end(w, {"action": "decide", "call_id": call_id, "decision": decision,
                  "value": "sunny, says the user" if decision == "answer" else None})  # fmt: skip
    if decision == "approve":
        assert '<span class="wb-tool-state wb-tool-active">running</span>' in call_html(w)
    release.set()
    assert w._task is not None
    await w._task
    ended = {"approve": "done", "deny": "denied", "answer": "answered by the user"}[decision]
    assert f">{ended}</span>" in call_html(w)
    assert ("took" in call_html(w)) == (decision == "approve")
    assert "running" not in call_html(w) and "waiting" not in call_html(w)


@pytest.mark.usefixtures("recording_comm")
async def test_a_call_left_by_a_stopped_turn_says_not_run() -> None:
    chat = make_chat(confirm_tools=True)
    w = widget(chat)
    w.send("What's the weather in Paris?")
    await wait_for(lambda: bool(w.pending))
    front_end(w, {"action": "stop"})
    assert w._task is not None
    await w._task
    html = call_html(w)
    assert "waiting for approval" not in html and "running" not in html
    assert ">denied</span>" in html or ">not run</span>" in html
