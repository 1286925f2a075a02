"""Malformed imports name the line (or row) and field at fault, and import nothing at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.test_export import tool_chat
from workbench.conversation import Conversation, conversations
from workbench.export import TranscriptError

USER = {"role": "user", "content": "What is the weather in Paris?"}
CALL = {
    "role": "assistant",
    "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    ],
}
ANSWER = {"role": "tool", "tool_call_id": "call_1", "content": '{"temperature": 21}'}
REPLY = {"role": "assistant", "content": "It is 21 degrees."}
GOOD = {"messages": [USER, CALL, ANSWER, REPLY]}


def with_message(i: int, **changes: Any) -> dict[str, Any]:
    """GOOD with message ``i`` changed (a value of ``...`` removes the key)."""
    messages = [dict(m) for m in GOOD["messages"]]
    for key, value in changes.items():
        if value is ...:
            del messages[i][key]
        else:
            messages[i][key] = value
    return {"messages": messages}


BAD_LINES: list[tuple[str, str, str]] = [
    ("{not json", "", "invalid JSON"),
    ("[1, 2]", "", "must be a JSON object"),
    (json.dumps({"tools": []}), "messages", "is required"),
    (json.dumps({"messages": []}), "messages", "non-empty list"),
    (json.dumps({"messages": [USER], "extra": 1}), "extra", "not a field of the chat fine-tuning"),
    (json.dumps({"messages": [USER], "functions": []}), "functions", "deprecated"),
    (json.dumps(with_message(0, role="robot")), "messages[0].role", "'robot' is not a role"),
    (json.dumps(with_message(0, role=...)), "messages[0].role", "None is not a role"),
    (json.dumps(with_message(2, tool_call_id=...)), "messages[2].tool_call_id", "is required"),
    (
        json.dumps(with_message(2, tool_call_id="call_9")),
        "messages[2].tool_call_id",
        "'call_9' answers no tool call",
    ),
    (json.dumps({"messages": [USER, ANSWER]}), "messages[1].tool_call_id", "answers no tool call"),
    (
        json.dumps({"messages": [USER, CALL, ANSWER, ANSWER]}),
        "messages[3].tool_call_id",
        "answered twice",
    ),
    (json.dumps(with_message(0, content=42)), "messages[0].content", "must be a string or a list"),
    (json.dumps(with_message(0, content=...)), "messages[0].content", "is required"),
    (json.dumps(with_message(3, content=None)), "messages[3].content", "is required"),
    (json.dumps(with_message(2, content={"x": 1})), "messages[2].content", "must be a string"),
    (
        json.dumps(with_message(0, content=[{"type": "video", "url": "x"}])),
        "messages[0].content[0].type",
        "'video' is not a content part a user message may have",
    ),
    (
        json.dumps(with_message(0, content=[{"type": "text", "text": 5}])),
        "messages[0].content[0].text",
        "must be a string",
    ),
    (
        json.dumps(with_message(0, content=[{"type": "image_url", "image_url": "x"}])),
        "messages[0].content[0].image_url",
        "must be an object",
    ),
    (json.dumps(with_message(0, colour="red")), "messages[0].colour", "not a field of a user"),
    (
        json.dumps(
            with_message(
                1, tool_calls=[{"id": "call_1", "function": {"name": "f", "arguments": {}}}]
            )
        ),
        "messages[1].tool_calls[0].function.arguments",
        "as JSON text",
    ),
    (
        json.dumps(with_message(1, tool_calls=[{"type": "function", "function": {"name": "f"}}])),
        "messages[1].tool_calls[0].id",
        "must be a string",
    ),
    (json.dumps(with_message(1, tool_calls="call_1")), "messages[1].tool_calls", "must be a list"),
    (json.dumps(with_message(3, weight=2)), "messages[3].weight", "must be 0 or 1"),
    (
        json.dumps(with_message(3, function_call={"name": "f", "arguments": "{}"})),
        "messages[3].function_call",
        "deprecated",
    ),
    (
        json.dumps({**GOOD, "tools": [{"type": "function", "function": {"name": "bad name"}}]}),
        "tools[0]",
        "not a valid tool name",
    ),
    (json.dumps({**GOOD, "parallel_tool_calls": "no"}), "parallel_tool_calls", "true or false"),
]


@pytest.mark.parametrize(("bad", "field", "problem"), BAD_LINES)
def test_a_malformed_jsonl_line_is_named_and_nothing_is_imported(
    tmp_path: Path, bad: str, field: str, problem: str
) -> None:
    path = tmp_path / "train.jsonl"
    log = tmp_path / "log.sqlite3"
    path.write_text(json.dumps(GOOD) + "\n\n" + bad + "\n" + json.dumps(GOOD) + "\n")
    with pytest.raises(TranscriptError) as caught:
        Conversation.from_jsonl(path, log=log)
    error = caught.value
    assert (error.where, error.field) == ("line 3", field)
    assert problem in error.problem
    assert str(error).startswith(f"line 3, {field}:" if field else "line 3:")
    assert isinstance(error, ValueError)
    assert not log.exists() or conversations(log) == [], "nothing was imported"


def test_the_good_lines_alone_import(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "weight_note": 1}) + "\n")
    with pytest.raises(TranscriptError, match="line 2, weight_note"):
        Conversation.from_jsonl(path, log=False)
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(with_message(3, weight=0)) + "\n")
    chats = Conversation.from_jsonl(path, log=False)
    assert [len(c) for c in chats] == [4, 4]


def test_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"messages": "\xff"}\n')
    with pytest.raises(TranscriptError, match="line 2: is not UTF-8"):
        Conversation.from_jsonl(path, log=False)


# -- tables ----------------------------------------------------------------------------------------


def good_frame() -> pd.DataFrame:
    return tool_chat().to_dataframe(branches=True)


def changed(df: pd.DataFrame, row: int, column: str, value: Any) -> pd.DataFrame:
    out = df.copy()
    out[column] = out[column].astype(object)
    out.at[row, column] = value
    return out


BAD_ROWS: list[tuple[str, Any, int, str, str]] = [
    # (column, value or a function of the frame, row, field, problem)
    ("role", "robot", 1, "role", "'robot' is not a role"),
    ("tool_call_id", None, 2, "tool_call_id", "is required in a tool message"),
    ("tool_call_id", "call_nowhere", 2, "tool_call_id", "'call_nowhere' answers no tool call"),
    ("content", 42, 0, "content", "must be a string"),
    ("content", None, 4, "content", "is required in a user message"),
    ("parent_id", "msg_nowhere", 3, "parent_id", "'msg_nowhere' is not a message"),
    ("status", "done", 3, "status", "'done' is not a status"),
    ("prompt_tokens", -5, 1, "prompt_tokens", "must be a count of tokens"),
    ("kept", "yes", 1, "kept", "must be true or false"),
    ("params", "{not json", 1, "params", "is not valid JSON"),
    ("params", {"model": "m", "temperature": 5}, 5, "params.temperature", "out of range"),
    ("tool_calls", [{"id": "c", "name": "f", "arguments": {}}], 1, "tool_calls[0].arguments", ""),
    (
        "usage",
        {"prompt_tokens_details": {"audio_tokens": "many"}},
        1,
        "usage.prompt_tokens_details.audio_tokens",
        "integer",
    ),
    ("created", "yesterday", 0, "created", "must be a time"),
    ("selected", "maybe", 0, "selected", "must be true or false"),
]


@pytest.mark.parametrize(("column", "value", "row", "field", "problem"), BAD_ROWS)
def test_a_malformed_row_is_named_and_nothing_is_imported(
    tmp_path: Path, column: str, value: Any, row: int, field: str, problem: str
) -> None:
    df = changed(good_frame(), row, column, value)
    log = tmp_path / "log.sqlite3"
    with pytest.raises(TranscriptError) as caught:
        Conversation.from_dataframe(df, log=log)
    assert (caught.value.where, caught.value.field) == (f"row {row}", field)
    assert problem in caught.value.problem
    assert not log.exists() or conversations(log) == []


def test_tree_faults_in_a_table() -> None:
    df = good_frame()
    twice = changed(df, 3, "message_id", df["message_id"][1])
    with pytest.raises(
        TranscriptError, match=r"row 3, message_id: .* is used twice \(also row 1\)"
    ):
        Conversation.from_dataframe(twice, log=False)
    cycle = changed(df, 0, "parent_id", df["message_id"][5])
    with pytest.raises(TranscriptError, match="row 0, parent_id: forms a cycle"):
        Conversation.from_dataframe(cycle, log=False)
    both = pd.concat([df, changed(df.iloc[[5]], 5, "message_id", "msg_twin")], ignore_index=True)
    with pytest.raises(TranscriptError, match=r"row 6, selected: another version .*\(row 5\)"):
        Conversation.from_dataframe(both, log=False)
    labelled = changed(df, 1, "role", "robot").set_index(pd.Index([f"r{i}" for i in range(6)]))
    with pytest.raises(TranscriptError, match="row r1, role"):
        Conversation.from_dataframe(labelled, log=False)


def test_a_table_without_the_required_columns() -> None:
    with pytest.raises(TranscriptError, match="content: is a required column"):
        Conversation.from_dataframe(pd.DataFrame({"role": ["user"]}), log=False)
    with pytest.raises(TypeError, match="DataFrame"):
        Conversation.from_dataframe([{"role": "user"}], log=False)  # type: ignore[arg-type]


def test_a_malformed_parquet_row_is_named(tmp_path: Path) -> None:
    chat = tool_chat()
    path = tmp_path / "chat.parquet"
    chat.to_parquet(path)
    df = pd.read_parquet(path)
    df.loc[2, "role"] = "robot"
    df.to_parquet(path)
    with pytest.raises(TranscriptError, match="row 2, role: 'robot' is not a role"):
        Conversation.from_parquet(path, log=False)
