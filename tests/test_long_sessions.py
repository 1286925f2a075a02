"""Long sessions (issue 8): a conversation of 2,000 turns with a tool, shown in a widget, stays
bounded (comm bytes per turn, the synced transcript, Python memory per turn, DOM nodes), its
caches stay right through branches and edits, and 200 conversations driven at once on one
``AsyncClient`` never mix their messages.

Speed is measured in ``bench/bench_long.py``; here the bounds are structural: bytes, sizes,
counts and memory.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import statistics
import tracemalloc
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench
import workbench.local
from workbench.conversation import Conversation
from workbench.conversation._history import History, Message
from workbench.conversation._log import ConversationLog
from workbench.widgets._widget import ConversationWidget, widget

from ._frontend import Bridge
from ._local import server_thread
from ._long import TurnOnly
from ._widgets import get_weather, recorded

TURNS = 2_000
BLOCK = 10


@pytest.fixture(autouse=True)
def _comm(recording_comm: None) -> None:
    """Every widget here talks to a recording comm."""


def _size(message: Any) -> int:
    return len(json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode())


def _long_chat(log: Path | bool = False) -> tuple[Conversation, TurnOnly]:
    client = TurnOnly(workbench.Client(local=workbench.local.LocalModel()))
    chat = workbench.Conversation(client=client, model="m", log=log, tools=[get_weather])
    return chat, client


def _prompt(i: int) -> str:
    return f"What's the weather in city{i}?"


# -- 2,000 turns ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_two_thousand_turns_in_a_widget_stay_bounded(tmp_path: Path) -> None:
    log = tmp_path / "long.sqlite3"
    chat, client = _long_chat(log)
    w = widget(chat)
    comm = recorded(w)
    comm.clear()
    turn_bytes: list[int] = []
    trait: dict[int, int] = {}
    # Memory kept per turn, traced over turns 101-200 and 1,901-2,000 (tracing throughout would
    # make the test five times slower): what those turns allocated and still hold at the end.
    traced = {100: 200, TURNS - 100: TURNS}
    growth: dict[int, float] = {}
    try:
        for i in range(1, TURNS + 1):
            reply = w.send(_prompt(i))
            assert reply is not None and reply.status == "complete", (i, w.error)
            turn_bytes.append(sum(_size(m) for m in comm.messages))
            comm.clear()
            if i in (BLOCK, TURNS // 2, TURNS):
                trait[i] = _size(w.messages_html)
            if i in traced:
                gc.collect()
                tracemalloc.start()
            elif i in traced.values():
                gc.collect()
                growth[i] = tracemalloc.get_traced_memory()[0] / 100
                tracemalloc.stop()
    finally:
        tracemalloc.stop()

    assert len(chat) == 4 * TURNS and client.seen[-1] == 4 * TURNS - 1, "the whole history sent"
    assert [m.role for m in chat.messages[-4:]] == ["user", "assistant", "tool", "assistant"]
    first = statistics.median(turn_bytes[:BLOCK])
    last = statistics.median(turn_bytes[-BLOCK:])
    print(
        f"\ncomm bytes/turn: turns 1-10 {first:,.0f}, last 10 {last:,.0f}; trait bytes {trait};"
        f" memory kept per turn {growth}"
    )
    assert last <= 1.5 * first, "a turn's comm bytes do not grow with the conversation"
    assert max(turn_bytes[-BLOCK:]) < 20_000
    assert trait[TURNS] <= 1.5 * trait[BLOCK], "the synced transcript is a window"
    assert w.earlier > 4 * TURNS - 50 and len(w.messages_html) <= 40
    # Memory grows with the history only: as much per turn at turn 2,000 as at turn 200.
    early, late = growth[200], growth[TURNS]
    assert 0 < late <= 1.5 * early and late < 40_000, (early, late)

    # The caches agree with the history, computed afresh.
    fresh = [m.to_param() for m in chat.messages if m.sendable]
    assert chat.to_messages() == fresh
    assert w.usage_text.startswith("last reply:")
    total = sum(m.usage.total_tokens for m in chat.messages if m.usage is not None)
    assert f"conversation: {total} tokens" in w.usage_text

    # The log holds every message and the branch, and no request carries the whole history.
    chat.close()
    with ConversationLog(log) as db:
        saved = db.load(chat.id)
        exchanges = db.exchanges(chat.id)
    assert [m.id for m in saved.history().path()] == [m.id for m in chat.messages]
    assert len(exchanges) == 2 * TURNS
    assert [len(e["request"]["messages"]) for e in exchanges[-2:]] == [1, 3]
    assert exchanges[-1]["request"]["earlier_messages"] == 4 * TURNS - 4
    assert log.stat().st_size < 40 * 2**20, "the log grows with the turns, not their square"


@pytest.mark.slow
@pytest.mark.browser
def test_the_front_end_holds_a_bounded_number_of_nodes(page: Any) -> None:
    chat, _ = _long_chat()
    w = widget(chat, window=8)
    bridge = Bridge(page, w)
    count = "() => document.querySelectorAll('#root *').length"
    nodes: dict[int, int] = {}
    for i in range(1, 41):
        chat.send(_prompt(i))  # from code (Playwright runs a loop here, as a kernel does)
        bridge.forward()
        if i in (5, 40):
            nodes[i] = page.evaluate(count)
    assert nodes[40] == nodes[5], nodes
    entries = page.locator(".wb-transcript .wb-entry")
    assert entries.count() == len(w.messages_html) <= 8
    assert "Show earlier messages (152)" in bridge.text(".wb-show-earlier")

    # Show earlier, twice: older entries come in order before the window; hide them again.
    for _ in range(2):
        page.click(".wb-show-earlier")
        bridge.pump()
    shown = entries.evaluate_all("es => es.map(e => e.dataset.id)")
    path = [m.id for m in chat.messages if m.id in set(shown)]
    assert shown == path and len(shown) > len(w.messages_html) + 8
    # A turn while they are shown: the window slides, nothing goes missing.
    chat.send(_prompt(41))
    bridge.forward()
    after = entries.evaluate_all("es => es.map(e => e.dataset.id)")
    assert after[: len(shown)] == shown and after[-1] == chat.messages[-1].id
    page.click(".wb-hide-earlier")
    assert entries.count() == len(w.messages_html)
    assert page.evaluate(count) == nodes[40]


@pytest.fixture
def long_reply(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The local model answers with 3,000 extra words (token-sized deltas)."""
    import workbench.local._generate as generate

    tail = " ".join(f"word{i % 97}" for i in range(3_000))
    original = generate.reply_text  # type: ignore[attr-defined]
    monkeypatch.setattr(
        generate, "reply_text", lambda **kwargs: str(original(**kwargs)) + " " + tail
    )
    yield tail


@pytest.mark.browser
def test_streamed_text_is_one_text_node_per_block(page: Any, long_reply: str) -> None:
    now = [0.0]
    chat = workbench.Conversation(
        client=workbench.Client(local=workbench.local.LocalModel()), model="m", log=False
    )
    chat.subscribe(lambda e: now.__setitem__(0, now[0] + 0.001) if e.type == "content.delta" else 0)
    w = ConversationWidget(chat, clock=lambda: now[0])
    bridge = Bridge(page, w)
    reply = chat.send("hello")
    messages = bridge.comm.messages[bridge.forwarded :]
    deltas = [i for i, m in enumerate(messages) if m["method"] == "custom"]
    deltas = [i for i in deltas if messages[i]["content"]["type"] == "delta"]
    assert len(deltas) > 50, "many coalesced updates"
    bridge.forward(deltas[-1] + 1)
    stream = page.locator(".wb-entry-streaming .wb-stream-text")
    assert stream.count() == 1
    runs = stream.evaluate("e => [...e.children].map((block) => block.childNodes.length)")
    assert set(runs) == {1}, "one text node per block, not one per update"
    assert 1 < len(runs) <= len(reply.text) // 2048 + 1, "blocks of about 2 KB"
    assert stream.text_content() == reply.text
    bridge.forward()
    assert page.locator(".wb-entry-streaming").count() == 0
    assert page.locator(".wb-entry").count() == 2


@pytest.mark.browser
def test_a_later_view_and_a_view_that_missed_a_patch_show_the_same_window(
    page: Any, browser: Any
) -> None:
    chat, _ = _long_chat()
    w = widget(chat, window=6)
    first = Bridge(page, w)
    for i in range(1, 4):
        chat.send(_prompt(i))
    first.forward()
    later_page = browser.new_page()
    try:
        later = Bridge(later_page, w)  # a re-render or a page reload: the synced state only
        ids = "es => es.map(e => e.dataset.id)"
        window = [e["id"] for e in w.messages_html]
        assert later_page.locator(".wb-entry").evaluate_all(ids) == window
        assert page.locator(".wb-entry").evaluate_all(ids) == window

        # The later view misses the next patch (sent while it was not listening).
        chat.send(_prompt(4))
        first.forward()
        pending = later.comm.messages[later.forwarded :]
        patches = [m for m in pending if m["method"] == "custom"]
        patches = [m for m in patches if m["content"]["type"] == "transcript"]
        assert patches, "the turn went out as patches"
        pending.remove(patches[-1])
        for message in pending:
            if message["method"] == "update":
                later_page.evaluate("s => model.update(s)", message["state"])
            elif message["method"] == "custom":
                later_page.evaluate("c => model.custom(c)", message["content"])
        later.forwarded = len(later.comm.messages)
        assert {"action": "resync"} in later.pump(), "it noticed and asked for the window"
        window = [e["id"] for e in w.messages_html]
        assert later_page.locator(".wb-entry").evaluate_all(ids) == window
        assert page.locator(".wb-entry").evaluate_all(ids) == window
    finally:
        later_page.close()


# -- the transcript's patches, without a browser ---------------------------------------------------


class FrontEnd:
    """What ``widget.js`` does with the transcript, in Python: a whole update replaces the
    window, a patch splices it when it follows the window's revision."""

    def __init__(self, w: ConversationWidget) -> None:
        state = json.loads(json.dumps(w.get_state(["messages_html", "transcript_base"])))
        self.entries: list[dict[str, Any]] = state["messages_html"]
        self.rev: int = state["transcript_base"]
        self.latest = w.transcript_rev
        self.comm = recorded(w)
        self.seen = len(self.comm.messages)
        self.patch_bytes = 0
        self.whole_bytes = 0

    def catch_up(self) -> None:
        for message in self.comm.messages[self.seen :]:
            message = json.loads(json.dumps(message))
            if message["method"] == "update":
                state = message["state"]
                if "messages_html" in state:
                    self.whole_bytes += _size(state["messages_html"])
                    self.entries = state["messages_html"]
                    self.rev = state["transcript_base"]
                self.latest = state.get("transcript_rev", self.latest)
            elif message["method"] == "custom" and message["content"]["type"] == "transcript":
                patch = message["content"]
                self.patch_bytes += _size(patch)
                assert patch["base"] == self.rev, "patches arrive in order"
                kept = self.entries[patch["drop"] : patch["drop"] + patch["keep"]]
                self.entries = kept + patch["entries"]
                self.rev = patch["rev"]
        self.seen = len(self.comm.messages)
        assert self.rev == self.latest


def test_patches_rebuild_the_window_through_branches_edits_and_undo() -> None:
    chat, _ = _long_chat()
    w = widget(chat, window=6)
    front = FrontEnd(w)
    rng = random.Random(8)
    actions = ["tool"] * 6 + ["plain", "regenerate", "switch", "edit", "undo", "code"]
    for step in range(120):
        action = rng.choice(actions) if step > 3 else "tool"
        if action == "tool":
            w.send(_prompt(step))
        elif action == "plain":
            w.send(f"Tell me something, step {step}")
        elif action == "regenerate":
            w.regenerate()
        elif action == "switch":
            versions = [
                (i, len(chat.branches(i))) for i in range(len(chat)) if len(chat.branches(i)) > 1
            ]
            if versions:
                index, n = rng.choice(versions)
                w.switch(index, rng.randrange(n))
        elif action == "edit":
            users = [i for i, m in enumerate(chat.messages) if m.role == "user"]
            if users:
                w.edit(rng.choice(users[-3:]), f"What's the weather in edited{step}?")
        elif action == "undo":
            chat.undo()
            w._rebuild()
        else:
            chat.send(f"from a cell, step {step}", stream=False)
        whole, had = front.whole_bytes, bool(front.entries)
        front.catch_up()
        if had and action in ("tool", "plain", "code"):
            assert front.whole_bytes == whole, "a new turn goes out as patches"
        expected = json.loads(json.dumps(w.messages_html))
        assert front.entries == expected, (step, action)
        full = widget(chat, window=6)  # a view made now: the same window from scratch
        assert full.messages_html == w.messages_html and full.earlier == w.earlier, step
        full.close()


def test_earlier_pages_add_up_to_the_whole_transcript() -> None:
    chat, _ = _long_chat()
    for i in range(12):
        chat.send(_prompt(i) if i % 3 else f"Plain question {i}")
    w = widget(chat, window=5)
    whole = widget(chat, window=10_000)
    assert w.earlier > 0 and whole.earlier == 0
    shown = list(w.messages_html)
    before = shown[0]["index"]
    while True:
        page = w.earlier_messages(before, count=7, request="r")
        sent = recorded(w).custom("earlier")[-1]
        assert sent["entries"] == page and sent["request"] == "r"
        shown = page + shown
        if sent["earlier"] == 0:
            break
        before = page[0]["index"]
    assert shown == whole.messages_html
    tools = [e for e in shown if e["role"] == "tool"]
    assert tools == [], "a tool result is never cut off from its call by a page boundary"


def test_a_compact_view_windows_its_own_turn() -> None:
    chat, _ = _long_chat()
    for i in range(5):
        chat.send(_prompt(i))
    w = widget(chat, start=len(chat), compact=True, window=4)
    assert w.messages_html == [] and w.earlier == 0 and w.usage_text == ""
    chat.send(_prompt(99))
    assert [e["role"] for e in w.messages_html] == ["user", "assistant", "assistant"]
    assert w.earlier == 0 and "last reply" in w.usage_text
    assert w.usage_text.count("conversation:") == 1
    own = sum(m.usage.total_tokens for m in chat.messages[20:] if m.usage is not None)
    assert f"conversation: {own} tokens" in w.usage_text
    w.start = 0  # shown from the first message now
    w._rebuild()
    w.refresh()
    assert w.earlier == len(chat) - 4 and w.messages_html[0]["index"] == 20
    total = sum(m.usage.total_tokens for m in chat.messages if m.usage is not None)
    assert f"conversation: {total} tokens" in w.usage_text


# -- the conversation's caches -----------------------------------------------------------------


def test_the_request_follows_changes_made_to_messages_directly() -> None:
    chat, _ = _long_chat()
    for i in range(3):
        chat.send(_prompt(i))
    assert chat.to_messages() == [m.to_param() for m in chat.messages]
    chat[0].content = "changed by hand"
    chat[5].status = "incomplete"  # no longer sent...
    assert chat.to_messages()[0]["content"] == "changed by hand"
    assert len(chat.to_messages()) == len(chat) - 1
    chat.keep(5)  # ...unless kept
    assert chat.to_messages() == [m.to_param() for m in chat.messages]
    chat.system = "Be brief."
    assert chat.to_messages()[0] == {"role": "system", "content": "Be brief."}
    sent = chat.to_messages()
    sent[1]["content"] = "a caller's own copy"
    assert chat.to_messages()[1]["content"] == "changed by hand", "to_messages() gives copies"


def test_the_log_writes_only_what_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[int] = []
    save = ConversationLog.save_changes

    def counting(self: ConversationLog, cid: str, messages: Any, choices: Any) -> None:
        messages = list(messages)
        written.append(len(messages) + len(choices))
        save(self, cid, messages, choices)

    monkeypatch.setattr(ConversationLog, "save_changes", counting)
    chat, _ = _long_chat(tmp_path / "log.sqlite3")
    per_turn = []
    for i in range(60):
        written.clear()
        chat.send(_prompt(i))
        per_turn.append(sum(written))
    assert per_turn[-1] == per_turn[5] <= 16, per_turn
    chat[4].content = "edited in place"
    chat.send("one more")
    chat.close()
    with ConversationLog(tmp_path / "log.sqlite3") as db:
        saved = db.load(chat.id)
    assert saved.history().path()[4].content == "edited in place"
    assert [m.id for m in saved.history().path()] == [m.id for m in chat.messages]
    again = Conversation.load(chat.id, log=tmp_path / "log.sqlite3")
    assert [m.text for m in again.messages] == [m.text for m in chat.messages]
    again.close()


OPS = st.lists(
    st.tuples(st.sampled_from(["append", "sibling", "hidden", "select", "cut", "set", "edit"]),
              st.integers(0, 10_000)),
    max_size=60,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(OPS)
def test_the_path_and_its_watch_follow_every_change(ops: list[tuple[str, int]]) -> None:
    history = History()
    watch = history.watch()
    cache: list[str] = []  # the text of each message of the path, kept up to date by the watch
    history.take_changes()
    logged: dict[str, str] = {}
    for op, n in ops:
        ids = list(history.messages)
        pick = ids[n % len(ids)] if ids else None
        if op == "append" or pick is None:
            history.append(Message(role="user", content=f"m{n}"))
        elif op == "sibling":
            parent = history.messages[pick].parent_id
            history.add(Message(role="assistant", content=f"s{n}", parent_id=parent))
        elif op == "hidden":
            history.add(Message(role="user", content=f"h{n}", parent_id=pick), select=False)
        elif op == "select":
            history.select(pick)
        elif op == "cut":
            history.cut_after(pick if n % 4 else None)
        elif op == "set":
            history.selected[history.messages[pick].parent_id] = pick
        else:
            history.messages[pick].content = f"edited{n}"
        # The path, walked afresh from the choices.
        expected: list[Message] = []
        node = history.selected.get(None)
        while node is not None:
            expected.append(history.messages[node])
            node = history.selected.get(node)
        assert history.path() == expected
        assert all(history.position(m.id) == i for i, m in enumerate(expected))
        start = watch.take()
        del cache[start:]
        cache.extend(str(m.content) for m in history.path_view()[start:])
        assert cache == [str(m.content) for m in expected]
        messages, _ = history.take_changes()
        logged.update({m.id: str(m.content) for m in messages})
        assert logged == {m.id: str(m.content) for m in history}, "every change reaches the log"


def test_equality_and_copies_of_messages_ignore_where_they_are_held() -> None:
    a, b = History(), History()
    message = a.append(Message(role="user", content="x"))
    copy = message.model_copy()
    assert copy == message and b.append(message) == message
    assert len(a.take_changes()[0]) == 1, "the first call: everything"
    copy.content = "y"  # a copy belongs to no history: a is not told
    assert a.take_changes() == ([], {})
    message.content = "z"
    assert [m.content for m in a.take_changes()[0]] == ["z"]


# -- 200 conversations at once -------------------------------------------------------------------


def lookup(code: str) -> dict[str, Any]:
    """Look up an order by its code.

    Args:
        code: the order code.
    """
    return {"code": code, "status": "shipped"}


async def _drive(chat: Conversation, token: str, stream: bool) -> None:
    await asyncio.sleep(random.random() * 0.05)
    await chat.asend(f"Look up order code {token} please", stream=stream)
    await asyncio.sleep(random.random() * 0.05)
    await chat.asend(f"Thanks, and what about {token} again?", stream=not stream)


def _own_only(chat: Conversation, token: str, others: set[str], events: list[Any]) -> None:
    roles = [m.role for m in chat.messages]
    assert roles == ["user", "assistant", "tool", "assistant", "user", "assistant"], roles
    text = json.dumps([m.model_dump(mode="json") for m in chat.history], default=str)
    assert token in chat.messages[2].text and token in chat.messages[3].text
    assert token in chat.messages[5].text
    found = {t for t in others if t in text}
    assert found == set(), f"{token}'s conversation holds {found}"
    ids = set(chat.history.messages)
    calls = {c["id"] for m in chat.messages for c in m.tool_calls or ()}
    for event in events:
        message_id = getattr(event, "message_id", None) or getattr(
            getattr(event, "message", None), "id", None
        )
        if message_id is not None:
            assert message_id in ids, (token, event.type)
        if event.type == "tool_call.finished":
            assert event.call_id in calls and token in str(event.result), event
    streamed = "".join(e.delta for e in events if e.type == "content.delta")
    replies = [m for m in chat.messages if m.role == "assistant" and m.text]
    assert streamed and streamed in {r.text for r in replies}, "deltas make one of its replies"


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["in-process", "http"])
def test_200_conversations_on_one_async_client_never_mix(transport: str) -> None:
    model = workbench.local.LocalModel(pacing=workbench.local.Pacing(tokens_per_second=400))
    tokens = [f"zq{i:03d}-{uuid.uuid4().hex[:6]}" for i in range(200)]
    events: list[list[Any]] = [[] for _ in tokens]

    async def main(url: str | None) -> list[Conversation]:
        kwargs: dict[str, Any] = {"base_url": url, "api_key": "k"} if url else {"local": model}
        async with workbench.AsyncClient(max_retries=0, **kwargs) as client:
            chats = [
                workbench.Conversation(client=client, model="m", log=False, tools=[lookup])
                for _ in tokens
            ]
            for chat, seen in zip(chats, events, strict=True):
                chat.subscribe(seen.append)
            await asyncio.gather(
                *(
                    _drive(c, t, i % 2 == 0)
                    for i, (c, t) in enumerate(zip(chats, tokens, strict=True))
                )
            )
        return chats

    # A loop of its own, in a thread (this module's browser fixture runs Playwright's here).
    server = server_thread(model) if transport == "http" else _nothing()
    with server as url, ThreadPoolExecutor(1) as pool:
        chats = pool.submit(asyncio.run, main(url)).result(timeout=240)
    everyone = set(tokens)
    for chat, token, seen in zip(chats, tokens, events, strict=True):
        _own_only(chat, token, everyone - {token}, seen)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        pass
