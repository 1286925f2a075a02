"""The plain-text transcript: deterministic on the seeded local model, marks, branches, tools."""

from __future__ import annotations

from typing import Literal

import workbench
import workbench.local
from workbench.conversation import Conversation
from workbench.conversation._history import Message
from workbench.widgets._plain_text import message_text_block, transcript_text


def get_weather(city: str, units: Literal["c", "f"] = "c") -> dict[str, object]:
    """Get the current weather for a city.

    Args:
        city: the city's name.
        units: c or f.
    """
    return {"city": city, "temperature": 21, "units": units}


def seeded() -> Conversation:
    return workbench.Conversation(
        client=workbench.Client(local=workbench.local.LocalModel()),
        model="m",
        seed=1,
        log=False,
        tools=[get_weather],
        system="Be brief.",
    )


def play(chat: Conversation) -> str:
    chat.send("What is the weather in Paris?")
    chat.send("Write a haiku about rain, with a code block")
    chat.regenerate()
    chat.send("please refuse this")
    return transcript_text(chat, width=80)


def test_the_transcript_is_identical_across_runs() -> None:
    first, second = play(seeded()), play(seeded())
    assert first == second
    for volatile in ("msg_", "call_", "conv_", "chatcmpl"):
        assert volatile not in first


def test_the_transcript_shows_header_tools_branches_marks_and_usage() -> None:
    chat = seeded()
    text = play(chat)
    lines = text.splitlines()
    assert lines[0] == "Conversation with m · local model"
    assert "params: seed=1" in lines and "tools: get_weather" in lines
    assert "system:" in lines and "  Be brief." in lines
    assert any(line.startswith('  → get_weather({"city": "Paris"') for line in lines)
    assert any(line.startswith("    ← ") and '"temperature": 21' in line for line in lines)
    assert "assistant [2/2]:" in lines, "the regenerated reply has a sibling"
    assert sum(line.startswith(("tool:", "tool (")) for line in lines) == 0, (
        "results sit under their calls"
    )
    assert any(line.startswith("  [refused] ") for line in lines)
    total = sum(m.usage.total_tokens for m in chat.messages if m.usage is not None)
    assert lines[-1].startswith(f"tokens: {total} total (prompt ")
    assert all(len(line) <= 80 for line in lines if "```" not in line and "    " not in line[:6])


def test_switching_branches_changes_the_marker() -> None:
    chat = seeded()
    chat.send("hello")
    chat.regenerate()
    chat.regenerate()
    assert "assistant [3/3]:" in transcript_text(chat)
    chat.switch(1, 0)
    assert "assistant [1/3]:" in transcript_text(chat)


def test_incomplete_and_error_replies_are_marked() -> None:
    cut = Message(role="assistant", content="partial rep", status="incomplete", error="stopped")
    assert message_text_block(cut).splitlines() == [
        "assistant [incomplete: stopped]:",
        "  partial rep",
    ]
    failed = Message(role="assistant", status="error", error="HTTP 500")
    assert message_text_block(failed) == "assistant [error: HTTP 500]:"


def test_tool_calls_and_failed_results() -> None:
    call = {"id": "a", "type": "function", "function": {"name": "f", "arguments": '{"x":1}'}}
    bad = {"id": "b", "type": "function", "function": {"name": "g", "arguments": '{"x": '}}
    results = {
        "a": Message(role="tool", tool_call_id="a", content="42"),
        "b": Message(role="tool", tool_call_id="b", content="...", error="bad arguments"),
    }
    block = message_text_block(
        Message(role="assistant", tool_calls=[call, bad]), tool_results=results
    )
    assert block.splitlines() == [
        "assistant:",
        '  → f({"x": 1})',
        "    ← 42",
        '  → g({"x": )',
        "    ← error: bad arguments",
    ]


def test_prose_wraps_but_code_keeps_its_lines() -> None:
    long_code = "x = " + " + ".join(["1"] * 60)
    text = "word " * 50 + f"\n\n```python\n{long_code}\n```"
    lines = message_text_block(Message(role="assistant", content=text), width=40).splitlines()
    prose = [line for line in lines[1:] if line.startswith("  word")]
    assert len(prose) > 5 and all(len(line) <= 40 for line in prose)
    assert "  " + long_code in lines


def test_terminal_escapes_and_bidi_controls_are_shown_not_run() -> None:
    hostile = "red \x1b[31mALERT\x1b[0m \x07 bell \u202eevil\r\nnext"
    block = message_text_block(Message(role="assistant", content=hostile))
    assert "\x1b" not in block and "\x07" not in block and "\u202e" not in block
    assert "\\x1b[31mALERT" in block and "\\u202eevil" in block and "\r" not in block


def test_an_empty_conversation_has_a_transcript() -> None:
    chat = workbench.Conversation(
        client=workbench.Client(local=workbench.local.LocalModel()), model="m", log=False
    )
    text = transcript_text(chat)
    assert "(no messages yet)" in text and text.endswith("tokens: none reported\n")
