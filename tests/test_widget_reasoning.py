"""A reply's reasoning in the widget (streamed as ``reasoning`` messages, then a collapsed
"Thinking" block of escaped text in the transcript's HTML) and in the text transcript."""

from __future__ import annotations

from typing import Any

import pytest

import workbench
from tests._widgets import make_chat, recorded
from workbench.conversation._history import Message
from workbench.local import LocalModel
from workbench.widgets._plain_text import message_text_block, transcript_text
from workbench.widgets._render import message_to_html
from workbench.widgets._widget import widget

pytestmark = pytest.mark.usefixtures("recording_comm")

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script> **bold** \x1b[31mred'


def reasoning_chat(**kwargs: Any) -> workbench.Conversation:
    chat = make_chat(**kwargs)
    chat.params.model = "workbench-local-reasoning"
    return chat


def test_the_reasoning_streams_as_its_own_messages_before_the_text() -> None:
    chat = reasoning_chat()
    w = widget(chat)
    w.send("Tell me a story")
    reply = chat.messages[-1]
    custom = [m["content"] for m in recorded(w).messages if m["method"] == "custom"]
    kinds = [m["type"] for m in custom if m["type"] in ("reasoning", "delta")]
    assert kinds[0] == "reasoning" and "delta" in kinds
    assert kinds.index("delta") > max(i for i, k in enumerate(kinds) if k == "reasoning")
    streamed = "".join(m["text"] for m in custom if m["type"] == "reasoning")
    assert streamed == reply.reasoning
    assert "".join(m["text"] for m in custom if m["type"] == "delta") == reply.text
    entry = w.messages_html[-1]
    assert '<details class="wb-thinking"><summary>Thinking</summary>' in entry["html"]
    assert entry["html"].index("wb-thinking") < entry["html"].index("[local model")


def test_the_thinking_block_comes_first_and_is_collapsed_escaped_text() -> None:
    message = Message(role="assistant", content="The **answer**.", reasoning=HOSTILE)
    html = message_to_html(message)
    start = html.index('<details class="wb-thinking">')
    assert start < html.index("<strong>answer</strong>"), "above the reply"
    assert "open" not in html[start : html.index(">", start)], "collapsed"
    assert (
        "<img" not in html and "<script" not in html and "onerror=" in html.replace("&quot;", '"')
    )
    assert "&lt;img src=x" in html and "**bold**" in html, "as text: not HTML, not Markdown"
    assert "wb-thinking-text" in html


def test_without_reasoning_there_is_no_thinking_block() -> None:
    html = message_to_html(Message(role="assistant", content="Hi"))
    assert "wb-thinking" not in html and "details" not in html


def test_a_forged_thinking_block_in_the_reply_is_escaped() -> None:
    forged = '<details class="wb-thinking" open><summary>Thinking</summary>fake</details>'
    html = message_to_html(Message(role="assistant", content=forged))
    assert "<details" not in html and "&lt;details" in html


def test_the_text_transcript_shows_the_reasoning_marked() -> None:
    chat = workbench.Conversation(
        "workbench-local-reasoning", client=workbench.Client(local=LocalModel()), log=False
    )
    chat.send("Hello there")
    reply = chat.messages[-1]
    text = transcript_text(chat, width=80)
    rest = text.partition("assistant:\n")[2]
    thinking, _, answer = rest.partition("\n  [local model")
    assert thinking.startswith("  [thinking]\n    The user says")
    assert " ".join(thinking.split()[1:]) == " ".join((reply.reasoning or "").split())
    assert answer, "the reply's text follows the thinking"
    assert transcript_text(chat, width=80) == text, "deterministic"


def test_hostile_reasoning_in_the_text_transcript_is_inert() -> None:
    block = message_text_block(Message(role="assistant", content="ok", reasoning=HOSTILE))
    assert "\x1b" not in block and "\\x1b[31mred" in block
    assert block.splitlines()[1] == "  [thinking]"
