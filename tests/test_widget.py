"""The conversation widget without a browser: driven as the front end would, over a recording comm.

The comm is ipywidgets' test ``DummyComm`` pattern: ``comm.create_comm`` is patched to return a
comm that records every ``send`` (state updates and custom messages), so no kernel is needed.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest

import workbench
import workbench.local
import workbench.local._generate as generate
from workbench.widgets._coalesce import FLUSH_SECONDS, Coalescer
from workbench.widgets._plain_text import transcript_text
from workbench.widgets._widget import ConversationWidget, widget

from ._widgets import front_end, make_chat, recorded

HOSTILE = "<img src=x onerror=alert(1)><script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _comm(recording_comm: None) -> None:
    """Every widget here talks to a recording comm."""


class Tags(HTMLParser):
    """The tag and attribute names of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.append(tag)
        self.attributes.extend(name for name, _ in attrs)


class FakeClock:
    """A clock that the test moves: 1 ms per content delta (advanced by an observer)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def tick(self, event: Any) -> None:
        if event.type == "content.delta":
            self.now += 0.001


def test_send_fills_the_transcript_and_streams_coalesced_deltas() -> None:
    chat = make_chat(verbosity="high")
    clock = FakeClock()
    chat.subscribe(clock.tick)  # before the widget: the clock moves, then the widget sees it
    w = widget(chat, clock=clock)
    reply = w.send("hello")
    assert reply is not None and reply.status == "complete"
    assert [m["role"] for m in w.messages_html] == ["user", "assistant"]
    assert reply.text.split(" ")[-1] in w.messages_html[1]["html"]
    assert "hello" in w.messages_html[0]["html"] and not w.streaming
    deltas = recorded(w).custom("delta")
    assert "".join(d["text"] for d in deltas) == reply.text
    assert {d["id"] for d in deltas} == {reply.id}
    elapsed = clock.now
    assert elapsed > 2 * FLUSH_SECONDS, "enough deltas to need coalescing"
    assert len(deltas) <= math.ceil(elapsed / FLUSH_SECONDS) + 1
    assert len(deltas) < reply.text.count(" "), "fewer messages than tokens"


def test_the_coalescer_flushes_by_time_and_at_the_end() -> None:
    now = [0.0]
    sent: list[dict[str, Any]] = []
    c = Coalescer(sent.append, clock=lambda: now[0])
    c.add("a", "x")  # the first goes at once
    for _ in range(10):
        now[0] += 0.012
        c.add("a", "y")
    assert [m["text"] for m in sent] == ["x", "yyy", "yyy", "yyy"]
    c.flush()
    assert [m["text"] for m in sent][-1] == "y" and len(sent) == 5
    c.flush()
    assert len(sent) == 5, "nothing pending, nothing sent"


def test_provenance_is_carried_by_each_reply() -> None:
    chat = make_chat(temperature=0.5)
    w = widget(chat)
    w.send("hello")
    meta = w.messages_html[1]["meta"]
    assert meta["model"] == "m" and meta["params"]["temperature"] == 0.5
    assert meta["usage"]["total_tokens"] > 0 and "request_id" in meta
    assert "tokens" in w.usage_text and w.local_badge


def test_a_turn_sent_from_code_updates_the_widget() -> None:
    chat = make_chat()
    w = widget(chat)
    assert w.messages_html == []
    reply = chat.send("from a cell")
    assert [m["id"] for m in w.messages_html][-1] == reply.id
    assert "".join(d["text"] for d in recorded(w).custom("delta")) == reply.text


def test_an_invalid_parameter_is_refused_with_the_validators_message() -> None:
    chat = make_chat()
    w = widget(chat)
    before = chat.params.snapshot()
    recorded(w).clear()
    assert w.set_param("temperature", 3) is False
    assert w.error == "3 is out of range (allowed: 0 to 2)" and w.error_field == "temperature"
    assert chat.params.snapshot() == before and "temperature" not in w.params
    assert recorded(w).custom("delta") == [] and chat.messages == [], "nothing sent"


def test_a_valid_parameter_reaches_the_conversation_and_the_trait() -> None:
    chat = make_chat()
    w = widget(chat)
    w.error = "old"
    assert w.set_param("temperature", 0.3) is True
    assert chat.params.temperature == 0.3 and w.params["temperature"] == 0.3 and w.error == ""
    front_end(w, {"action": "set_param", "name": "model", "value": "other"})
    assert chat.params.model == "other" and w.params["model"] == "other"
    chat.params.seed = 4  # changed from code: refresh() reads it back
    w.refresh()
    assert w.params["seed"] == 4


def test_the_front_ends_send_message_runs_a_turn() -> None:
    chat = make_chat()
    w = widget(chat)
    front_end(w, {"action": "send", "text": "hi"})
    assert [m.role for m in chat.messages] == ["user", "assistant"]
    assert chat.messages[0].text == "hi" and len(w.messages_html) == 2


def test_send_without_text_sends_the_input_box() -> None:
    chat = make_chat()
    w = widget(chat)
    w.set_state({"input_text": "typed in the box"})  # as the front end syncs it
    front_end(w, {"action": "send"})
    assert chat.messages[0].text == "typed in the box" and w.input_text == ""


def test_stop_mid_stream_keeps_the_partial_reply_marked() -> None:
    chat = make_chat()
    w = widget(chat)
    seen = 0

    def stop_after_a_few(event: Any) -> None:
        nonlocal seen
        if event.type == "content.delta":
            seen += 1
            if seen == 3:
                front_end(w, {"action": "stop"})

    chat.subscribe(stop_after_a_few)
    reply = w.send("hello there")
    assert reply is not None and reply.status == "incomplete"
    last = w.messages_html[-1]
    assert last["status"] == "incomplete" and "wb-incomplete" in last["html"]
    assert "stopped by the user" in last["html"] and w.error == "" and not w.streaming


def test_hostile_reply_html_is_inert() -> None:
    chat = make_chat()
    w = widget(chat)
    reply = w.send(f"look {HOSTILE}")
    assert reply is not None and "onerror" in reply.text, "the local model quoted it back"
    for entry in w.messages_html:
        lowered = entry["html"].lower()
        assert "<script" not in lowered and "<img" not in lowered
        tags = Tags()
        tags.feed(entry["html"])
        assert "script" not in tags.names and "img" not in tags.names
        assert not [a for a in tags.attributes if a.startswith("on")], "no event handlers"
    assert "onerror" in w.messages_html[1]["html"], "shown, escaped, as text"


def test_the_text_repr_is_the_clean_transcript() -> None:
    chat = make_chat(seed=1)
    w = widget(chat)
    w.send("hello")
    bundle = w._repr_mimebundle_()
    assert bundle is not None
    data, metadata = bundle
    assert data["text/plain"] == transcript_text(chat)
    assert "application/vnd.jupyter.widget-view+json" in data
    replies = metadata["workbench"]["replies"]
    assert replies[0]["model"] == "m" and replies[0]["usage"]["total_tokens"] > 0


def test_a_tool_call_appears_inline_with_its_result() -> None:
    chat = make_chat()
    w = widget(chat)
    w.send("What's the weather in Paris?")
    roles = [m["role"] for m in w.messages_html]
    assert roles == ["user", "assistant", "assistant"], "tool results shown under their call"
    call = w.messages_html[1]["html"]
    assert "wb-tool-call" in call and "get_weather" in call and "Paris" in call
    assert "wb-tool-result" in call and "21" in call
    started = recorded(w).custom("tool_call")
    assert started and started[0]["name"] == "get_weather"
    args = recorded(w).custom("tool_args")
    assert json.loads(args[-1]["text"]) == {"city": "Paris"}, "the last preview is complete"


def test_regenerate_and_switch_between_branches() -> None:
    chat = make_chat(temperature=1.5)
    w = widget(chat)
    first = w.send("hello")
    second = w.regenerate()
    assert first is not None and second is not None and first.id != second.id
    assert w.messages_html[-1]["branch"] == [1, 2] and w.messages_html[-1]["id"] == second.id
    front_end(w, {"action": "switch", "index": 1, "branch": 0})
    assert w.messages_html[-1]["id"] == first.id and w.messages_html[-1]["branch"] == [0, 2]
    w.switch(1, 5)
    assert "versions" in w.error


async def test_with_a_running_loop_a_turn_runs_in_the_background() -> None:
    chat = make_chat()
    w = widget(chat)
    assert w.send("hello") is None, "returns at once: the turn is a task"
    assert w._task is not None
    await w._task
    assert [m["role"] for m in w.messages_html] == ["user", "assistant"]
    assert not w.streaming and w.messages_html[1]["status"] == "complete"


async def test_stop_from_the_front_end_cancels_a_background_turn() -> None:
    chat = make_chat(pacing=workbench.local.Pacing(tokens_per_second=500))
    w = widget(chat)
    w.send("hello there")
    seen = asyncio.Event()
    chat.subscribe(lambda e: seen.set() if e.type == "content.delta" else None)
    assert w._task is not None
    await seen.wait()
    assert w.streaming
    front_end(w, {"action": "stop"})
    await w._task
    assert w.messages_html[-1]["status"] == "incomplete" and not w.streaming


@pytest.fixture
def long_reply(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The local model answers with ~20,000 extra words (token-sized deltas)."""
    tail = " ".join(f"word{i % 97}" for i in range(20_000))
    original = generate.reply_text  # type: ignore[attr-defined]

    def longer(**kwargs: Any) -> str:
        return str(original(**kwargs)) + " " + tail

    monkeypatch.setattr(generate, "reply_text", longer)
    yield tail


def test_comm_traffic_for_a_long_reply_is_small(long_reply: str) -> None:
    chat = make_chat()
    clock = FakeClock()
    chat.subscribe(clock.tick)
    w = widget(chat, clock=clock)
    recorded(w).clear()
    reply = w.send("hello")
    assert reply is not None and long_reply in reply.text
    messages = recorded(w).messages
    size = [len(json.dumps(m, separators=(",", ":")).encode()) for m in messages]
    kinds = [m["content"].get("type") if m["method"] == "custom" else None for m in messages]
    deltas = [n for kind, n in zip(kinds, size, strict=True) if kind == "delta"]
    # The durable transcript: a patch with the settled reply (the trait is not sent again).
    rebuilds = [
        n
        for m, kind, n in zip(messages, kinds, size, strict=True)
        if kind == "transcript" or (m["method"] == "update" and "messages_html" in m["state"])
    ]
    reply_bytes = len(reply.text.encode())
    print(
        f"\nreply {reply_bytes} B in {clock.now * 1000:.0f} ms of fake time; comm: {len(messages)}"
        f" messages, {sum(size)} B; {len(deltas)} deltas ({sum(deltas)} B);"
        f" transcript {sum(rebuilds)} B; other state {sum(size) - sum(deltas) - sum(rebuilds)} B"
    )
    assert len(deltas) <= math.ceil(clock.now / FLUSH_SECONDS) + 1
    assert kinds.count("transcript") >= 1 and rebuilds[-1] >= reply_bytes
    assert sum(size) <= 3 * reply_bytes, "deltas once, the settled reply once, little else"


def test_several_widgets_on_one_conversation_stay_in_sync() -> None:
    chat = make_chat()
    first, second = widget(chat), widget(chat)
    first.send("hello")
    assert first.messages_html == second.messages_html and len(second.messages_html) == 2
    assert "".join(d["text"] for d in recorded(second).custom("delta")) == chat.messages[-1].text
    assert first.set_param("temperature", 0.4)
    assert second.params["temperature"] == 0.4, "a change in one shows in the other"
    second.set_system("Be brief.")
    second.set_tool("get_weather", False)
    assert first.system == "Be brief." and first.tools[0]["enabled"] is False


def test_changes_from_code_reach_the_controls_without_a_refresh() -> None:
    chat = make_chat()
    w = widget(chat)
    chat.params.temperature = 0.9
    chat.params.reasoning_effort = "low"
    chat.system = "You are terse."
    chat.enable_tool("get_weather", False)
    assert w.params["temperature"] == 0.9 and w.params["reasoning_effort"] == "low"
    assert w.system == "You are terse." and w.tools[0]["enabled"] is False
    chat.params = workbench.ChatParams(model="other", seed=3)
    assert w.params == {"model": "other", "seed": 3}
    chat.params.seed = 4  # the new params object is watched too
    assert w.params["seed"] == 4
    with pytest.raises(workbench.InvalidParameterError):
        chat.params.top_p = 7
    assert "top_p" not in w.params


def test_param_info_describes_each_control() -> None:
    w = widget(make_chat())
    info = w.param_info
    assert info["temperature"]["range"] == [0, 2] and info["top_p"]["range"] == [0, 1]
    assert info["reasoning_effort"]["choices"][:2] == ["minimal", "low"]
    assert set(info) >= {"model", "max_completion_tokens", "seed", "verbosity", "tool_choice"}


def test_the_model_box_lists_an_async_clients_models_and_none_for_a_create_only_client() -> None:
    client = workbench.AsyncClient(local=workbench.local.LocalModel())
    w = widget(workbench.Conversation(client=client, model="m", log=False))
    w.load_models()  # no running loop: at once
    assert "workbench-local" in w.models

    class CreateOnly:
        """A client of one's own: ``chat.completions.create`` and no ``models``."""

        chat = make_chat().client.chat

    w = widget(workbench.Conversation(client=CreateOnly(), model="m", log=False))
    w.load_models()
    assert w.models == [], "the model box stays free text"


def test_a_conversation_displays_as_its_widget_with_a_text_fallback() -> None:
    chat = make_chat(seed=1)
    chat.send("hello")
    view = chat.widget()
    assert isinstance(view, ConversationWidget) and view.chat is chat
    data, metadata = chat._repr_mimebundle_()
    assert data["text/plain"] == transcript_text(chat)
    assert "application/vnd.jupyter.widget-view+json" in data
    assert metadata["workbench"]["replies"][0]["model"] == "m"


def test_a_streamed_refusal_is_shown_as_it_arrives() -> None:
    chat = make_chat()
    w = widget(chat)
    reply = w.send("please refuse this")
    assert reply is not None and reply.refusal
    assert "".join(m["text"] for m in recorded(w).custom("refusal")) == reply.refusal
    assert "wb-refusal" in w.messages_html[-1]["html"]


def test_structured_output_streams_as_partial_json_and_shows_validation_errors() -> None:
    import pydantic

    class City(pydantic.BaseModel):
        name: str

        @pydantic.field_validator("name")
        @classmethod
        def never(cls, value: str) -> str:
            raise ValueError("no city is good enough")

    chat = make_chat(response_format=City)
    w = widget(chat)
    with pytest.raises(workbench.OutputValidationError):
        chat.send("Which city?")
    previews = recorded(w).custom("json")
    assert previews and recorded(w).custom("delta") == []
    assert json.loads(previews[-1]["text"]).keys() == {"name"}
    last = w.messages_html[-1]
    assert last["status"] == "incomplete" and "no city is good enough" in last["html"]


async def test_a_widget_turn_waits_for_approval_and_runs_what_was_approved() -> None:
    chat = make_chat(confirm_tools=True)
    w = widget(chat)
    w.send("What's the weather in Paris?")
    while not chat.pending_approvals:
        await asyncio.sleep(0.005)
    assert [p["name"] for p in w.pending] == ["get_weather"]
    assert json.loads(w.pending[0]["arguments"]) == {"city": "Paris"}
    w.decide(w.pending[0]["call_id"], "approve", "not json")
    assert "not valid JSON" in w.error and chat.pending_approvals, "still waiting"
    front_end(w, {"action": "decide", "call_id": w.pending[0]["call_id"], "decision": "approve"})
    assert w._task is not None
    await w._task
    assert w.pending == [] and "21" in next(m for m in chat.messages if m.role == "tool").text


def test_a_turn_from_code_with_confirm_tools_asks_on_the_console(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chat = make_chat(confirm_tools=True)
    w = widget(chat)
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: asked.append(prompt) or "n")
    chat.send("What's the weather in Paris?")  # the kernel is busy: the widget cannot answer
    assert asked and "get_weather" in asked[0] and w.pending == []
    assert "declined" in next(m for m in chat.messages if m.role == "tool").text


async def test_a_kernel_interrupt_stops_a_widget_turn_like_stop() -> None:
    import signal

    chat = make_chat(pacing=workbench.local.Pacing(tokens_per_second=300))
    w = widget(chat)
    before = signal.getsignal(signal.SIGINT)
    w.send("hello there, tell me a long story")
    seen = asyncio.Event()
    chat.subscribe(lambda e: seen.set() if e.type == "content.delta" else None)
    await seen.wait()
    signal.raise_signal(signal.SIGINT)  # what Jupyter's interrupt button sends the kernel
    assert w._task is not None
    await w._task
    last = chat.messages[-1]
    assert last.status == "incomplete" and last.error == "stopped by the user"
    assert signal.getsignal(signal.SIGINT) is before, "the handler is given back"
