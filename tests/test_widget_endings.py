"""Every ending of a reply shows, in words: cut at the token limit (an empty reply whose tokens
all went to reasoning says so and names the fix), withheld by the content filter, stopped,
interrupted, ended without a finish_reason, failed; and the DataFrame's status agrees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import workbench
import workbench.local
from workbench.conversation._history import Message
from workbench.conversation._reply import NO_FINISH_REASON
from workbench.widgets._endings import ending_kind
from workbench.widgets._plain_text import transcript_text
from workbench.widgets._render import message_to_html
from workbench.widgets._widget import widget

from ._widgets import make_chat

pytestmark = pytest.mark.usefixtures("recording_comm")


def reply(**fields: Any) -> Message:
    return Message(role="assistant", **fields)


def test_a_reply_cut_at_the_limit_is_marked_in_the_widget_and_the_frame() -> None:
    chat = make_chat(max_completion_tokens=3)
    w = widget(chat)
    cut = chat.send("Tell me a story")
    assert cut.finish_reason == "length" and cut.status == "complete" and cut.text
    html = w.messages_html[-1]["html"]
    assert 'class="wb-status wb-incomplete wb-ending wb-ending-length"' in html
    assert "cut short: the reply reached the token limit of 3 tokens" in html
    assert "raise max_completion_tokens" in html
    frame = chat.to_dataframe()
    assert frame["status"].tolist() == ["complete", "length"]
    assert frame["finish_reason"].tolist()[-1] == "length"
    assert chat.usage_dataframe()["status"].tolist() == ["length"]
    assert "assistant [length]:" in transcript_text(chat)


def test_an_empty_reply_whose_tokens_went_to_reasoning_says_so_and_names_the_fix() -> None:
    chat = make_chat(max_completion_tokens=5)
    chat.params.model = "workbench-local-reasoning"
    w = widget(chat)
    empty = chat.send("Tell me a story")
    assert empty.content == "" and empty.finish_reason == "length"
    html = w.messages_html[-1]["html"]
    assert "wb-ending-length" in html
    assert "no answer: the token limit of 5 tokens was spent on reasoning" in html
    assert "raise max_completion_tokens (or lower reasoning_effort)" in html


def test_hidden_reasoning_counts_as_reasoning_too() -> None:
    chat = make_chat(reasoning_effort="high", max_completion_tokens=30)
    chat.params.model = "gpt-5"  # a reasoning model that does not show its reasoning
    empty = chat.send("Tell me a story")
    assert not empty.reasoning and empty.finish_reason == "length"
    assert "spent on reasoning before any reply" in message_to_html(empty)


@pytest.mark.parametrize(
    ("message", "kind", "words"),
    [
        (reply(content="", finish_reason="length"), "length", "no answer: the token limit was"),
        (
            reply(content="x", finish_reason="content_filter"),
            "content_filter",
            "withheld: the content filter ended the reply",
        ),
        (
            reply(content="part", status="incomplete", error="stopped by the user"),
            "stopped",
            "incomplete: stopped by the user",
        ),
        (
            reply(content="part", status="incomplete", error="interrupted"),
            "interrupted",
            "incomplete: interrupted",
        ),
        (
            reply(content="part", status="incomplete", error=NO_FINISH_REASON),
            "incomplete",
            "incomplete: the server ended the reply without a finish_reason",
        ),
        (reply(status="error", error="HTTP 500"), "error", "error: HTTP 500"),
    ],
)
def test_each_ending_has_its_words_and_class(message: Message, kind: str, words: str) -> None:
    assert ending_kind(message) == kind
    html = message_to_html(message)
    assert f"wb-ending-{kind.replace('_', '-')}" in html and words in html
    assert ("wb-error" in html) == (kind == "error")


def test_a_whole_reply_has_no_mark() -> None:
    for finish_reason in ("stop", "tool_calls", None):
        html = message_to_html(reply(content="fine", finish_reason=finish_reason))
        assert "wb-ending" not in html and "wb-status" not in html


def test_the_frames_status_round_trips_for_cut_replies() -> None:
    chat = make_chat(max_completion_tokens=3)
    chat.send("Tell me a story")
    chat.messages[-1].finish_reason = "content_filter"
    frame = chat.to_dataframe()
    assert frame["status"].tolist()[-1] == "content_filter"
    back = workbench.Conversation.from_dataframe(frame, log=False)
    last = back.messages[-1]
    assert last.status == "complete" and last.finish_reason == "content_filter"
    assert back.to_dataframe()["status"].tolist() == frame["status"].tolist()


def test_the_logs_frames_say_length_too(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    client = workbench.Client(local=workbench.local.LocalModel())
    chat = workbench.Conversation(client=client, model="m", log=path, max_completion_tokens=3)
    chat.send("Tell me a story")
    assert workbench.to_dataframe(log=path)["status"].tolist() == ["complete", "length"]
    assert workbench.usage_dataframe(log=path)["status"].tolist() == ["length"]


def test_a_turn_stopped_at_the_tool_round_limit_is_marked_and_has_its_status(
    tmp_path: Path,
) -> None:
    chat = make_chat(max_tool_rounds=0)  # one round of tool calls, then the limit
    w = widget(chat)
    with pytest.raises(workbench.ToolRoundLimitError):
        chat.send("What is the weather in Paris?")
    assert [m.role for m in chat.messages] == ["user", "assistant", "tool"]
    last = chat.messages[1]
    assert last.ending == "tool_round_limit" and last.status == "complete" and last.sendable
    assert ending_kind(last) == "tool_round_limit"
    html = "".join(entry["html"] for entry in w.messages_html)
    assert 'class="wb-status wb-incomplete wb-ending wb-ending-tool-round-limit"' in html
    assert "turn stopped at the tool-round limit: the model was still calling tools" in html
    assert "raise max_tool_rounds" in html
    assert w.error == ""  # said once, on the message, not again under the transcript
    frame = chat.to_dataframe()
    assert frame["status"].tolist() == ["complete", "tool_round_limit", "complete"]
    assert "after 0 rounds" in frame["error"].tolist()[1]
    back = workbench.Conversation.from_dataframe(frame, log=False)
    assert back.messages[1].ending == "tool_round_limit"
    assert back.to_dataframe()["status"].tolist() == frame["status"].tolist()
    assert "assistant [tool_round_limit: the model was still" in transcript_text(chat)
    # The log keeps the mark: a conversation loaded back shows it.
    path = tmp_path / "log.sqlite3"
    logged = workbench.Conversation(
        client=workbench.Client(local=workbench.local.LocalModel()),
        model="m",
        log=path,
        tools=chat.tools.values(),
        max_tool_rounds=0,
    )
    with pytest.raises(workbench.ToolRoundLimitError):
        logged.send("What is the weather in Paris?")
    logged.close()
    loaded = workbench.Conversation.load(logged.id, log=path)
    assert loaded.messages[1].turn_ended == "tool_round_limit"
    assert workbench.to_dataframe(log=path)["status"].tolist()[1] == "tool_round_limit"


def test_a_regenerated_reply_with_a_fixed_seed_says_same_seed_same_reply() -> None:
    chat = make_chat(seed=4)
    w = widget(chat)
    first = chat.send("Tell me a story")
    assert "wb-note" not in w.messages_html[-1]["html"]
    again = chat.regenerate()
    assert again.content == first.content and again.id != first.id
    html = w.messages_html[-1]["html"]
    assert '<div class="wb-note wb-same-seed">same seed: same reply (seed 4;' in html
    chat.switch(1, 0)  # the first version replaced nothing
    assert "wb-note" not in w.messages_html[-1]["html"]
    # Unseeded, the local model samples again: another reply, and no note.
    plain = make_chat()
    shown = widget(plain)
    sampled = plain.send("Tell me a story")
    assert plain.regenerate().content != sampled.content
    assert "wb-note" not in shown.messages_html[-1]["html"]
    # Another seed: no note even if the text were the same.
    other = reply(content=first.content, params={"seed": 5})
    assert "wb-note" not in message_to_html(other, replaced=first)
