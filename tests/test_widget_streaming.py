"""Streaming that stays flat, in headless Chromium against the real widget (``follow.js``).

Streamed text goes into blocks of about 2 KB (appending lays out the last block only, not the
whole reply), broken after a newline or a space, never inside a surrogate pair, in the same
places however the text arrives; the transcript follows its end once per animation frame, and
not while the user has scrolled up to read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import workbench
import workbench.local
from workbench.widgets._widget import ConversationWidget

from ._browser import widget_screenshot
from ._frontend import Bridge
from ._widgets import make_chat

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("recording_comm")]

BLOCK = 2048
MARGIN = 1024  # a block ends after a newline past 2 KB, after a space a little later, or at 3 KB
WORDS = 10_000  # about 20,000 token-sized deltas: each word streams as a space and a word


@pytest.fixture
def long_reply(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The local model answers with 10,000 extra words, a line break after every 50th."""
    import workbench.local._generate as generate

    words = [f"word{i % 97}" + ("\n" if i % 50 == 49 else "") for i in range(WORDS)]
    tail = " ".join(words)
    original = generate.reply_text  # type: ignore[attr-defined]
    monkeypatch.setattr(
        generate, "reply_text", lambda **kwargs: str(original(**kwargs)) + " " + tail
    )
    yield tail


def streamed(page: Any) -> tuple[Bridge, Any, list[int]]:
    """A widget that streamed a long reply (its messages recorded, none forwarded yet), the
    reply, and the indices of the messages that carry its text."""
    now = [0.0]
    chat = workbench.Conversation(
        client=workbench.Client(local=workbench.local.LocalModel()), model="m", log=False
    )
    # A fake clock, 1 ms a delta: the coalescer sends what it sends at 1,000 tokens/s.
    chat.subscribe(lambda e: now.__setitem__(0, now[0] + 0.001) if e.type == "content.delta" else 0)
    bridge = Bridge(page, ConversationWidget(chat, clock=lambda: now[0]))
    reply = chat.send("hello")
    messages = bridge.comm.messages[bridge.forwarded :]
    deltas = [
        i
        for i, m in enumerate(messages)
        if m["method"] == "custom" and m["content"]["type"] == "delta"
    ]
    return bridge, reply, deltas


BLOCKS = "e => [...e.children].map((b) => [b.className, b.childNodes.length, b.textContent])"
SCROLL = """() => { const t = document.querySelector('.wb-transcript');
  return {top: t.scrollTop, end: t.scrollHeight - t.clientHeight}; }"""
FRAMES = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


def test_a_long_reply_streams_in_blocks_of_about_2_kb(page: Any, long_reply: str) -> None:
    bridge, reply, deltas = streamed(page)
    assert reply.usage.completion_tokens >= 20_000 and len(deltas) > 300
    bridge.forward(deltas[-1] + 1)
    stream = page.locator(".wb-entry-streaming .wb-stream-text")
    blocks = stream.evaluate(BLOCKS)
    sizes = [len(text) for _, _, text in blocks]
    assert len(blocks) >= len(reply.text) // (BLOCK + MARGIN), sizes
    assert {name for name, _, _ in blocks} == {"wb-stream-block"}
    assert {runs for _, runs, _ in blocks} == {1}, "one text node a block"
    assert all(BLOCK <= size <= BLOCK + MARGIN for size in sizes[:-1]), sizes
    assert sizes[-1] <= BLOCK + MARGIN
    # Line breaks come every 50 words (~350 characters): every block but the last ends with one.
    assert all(text.endswith("\n") for _, _, text in blocks[:-1])
    assert stream.text_content() == reply.text

    bridge.forward()  # the end of the turn: the sanitized HTML replaces the blocks
    assert page.locator(".wb-entry-streaming, .wb-stream-block").count() == 0
    final = page.locator(".wb-entry-assistant .wb-message").last.evaluate(
        "m => [...m.querySelectorAll(':scope > :not(.wb-role)')].map((n) => n.textContent).join('')"
    )
    assert " ".join(final.split()) == " ".join(reply.text.split())


# Text streamed straight to the view in pieces: blocks must not depend on where pieces end.
STREAM = """async ([pieces, id]) => {
  for (const text of pieces) model.custom({type: "delta", id, text}, []);
  const node = document.querySelector(`.wb-entry[data-id="${id}"] .wb-stream-text`);
  return [...node.children].map((b) => b.textContent);
}"""


@pytest.mark.parametrize(
    "text",
    [
        "a" + "\U0001f600" * 2_500,  # no space, no newline: cut at 3 KB, never inside a pair
        ("x" * 2_300 + " ") * 6,  # long lines: broken after a space
        ("y" * 100 + "\n") * 80,  # short lines: broken after a newline
    ],
    ids=["surrogate-pairs", "spaces", "newlines"],
)
def test_blocks_break_at_the_same_places_however_the_text_arrives(page: Any, text: str) -> None:
    Bridge(page, ConversationWidget(make_chat()))
    whole = page.evaluate(STREAM, [[text], "one"])
    pieces = [text[i : i + 7] for i in range(0, len(text), 7)]
    # Pieces of 7 code points, as the comm's deltas are: a pair is never split between two.
    pieced = page.evaluate(STREAM, [pieces, "many"])
    for block in whole:
        assert len(block) <= BLOCK + MARGIN
        assert not ("\udc00" <= block[0] <= "\udfff"), "a block starts inside a surrogate pair"
        assert not ("\ud800" <= block[-1] <= "\udbff"), "a block ends inside a surrogate pair"
    assert [len(b) for b in whole] == [len(b) for b in pieced] and len(whole) > 1
    assert whole == pieced and "".join(whole) == text


def test_a_user_scrolled_up_is_not_moved(page: Any, long_reply: str) -> None:
    bridge, _, deltas = streamed(page)
    page.set_viewport_size({"width": 900, "height": 700})
    half = deltas[len(deltas) // 2]
    bridge.forward(half + 1)
    page.evaluate(FRAMES)
    at = page.evaluate(SCROLL)
    assert at["end"] > 2_000 and at["top"] >= at["end"] - 1, "it follows the end while pinned"
    widget_screenshot(page, "streaming-blocks-end.png")

    page.evaluate("() => { document.querySelector('.wb-transcript').scrollTop = 300; }")
    page.evaluate(FRAMES)  # the scroll event: the user left the end
    bridge.forward(deltas[-1] - half)  # the rest of the text, not the end of the turn
    page.evaluate(FRAMES)
    moved = page.evaluate(SCROLL)
    assert moved["top"] == 300 and moved["end"] > at["end"], "not yanked back while streaming"
    widget_screenshot(page, "streaming-blocks-scrolled-up.png")
    bridge.forward()
    page.evaluate(FRAMES)
    assert page.evaluate(SCROLL)["top"] == 300, "nor at the end of the turn"

    page.evaluate(
        "() => { const t = document.querySelector('.wb-transcript');"
        " t.scrollTop = t.scrollHeight; }"
    )
    page.evaluate(FRAMES)  # back at the end: pinned again
    chat = bridge.widget.chat
    chat.send("again")
    bridge.forward()
    page.evaluate(FRAMES)
    again = page.evaluate(SCROLL)
    assert again["top"] >= again["end"] - 1 and again["end"] > moved["end"]
    page.set_viewport_size({"width": 420, "height": 700})
    page.evaluate(
        "() => { const t = document.querySelector('.wb-transcript');"
        " t.scrollTop = t.scrollHeight; }"
    )
    widget_screenshot(page, "streaming-followed-narrow.png")
