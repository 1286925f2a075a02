"""Round trips: a DataFrame, fine-tuning JSONL and Parquet read back into equal conversations."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import workbench
from tests._mock import schema_validator
from tests.test_export import get_weather, local_chat, tool_chat
from workbench.conversation import Conversation, conversations
from workbench.conversation._history import Message
from workbench.local import LocalModel


def branched_chat() -> Conversation:
    """A conversation with a tool round, a regenerated reply, an edit and a switch back."""
    chat = tool_chat()
    chat.regenerate(temperature=0.9, seed=4)
    chat.edit(4, "A second question, edited")
    chat.switch(4, 0)
    chat.switch(5, 0)
    return chat


def messages_of(chat: Conversation) -> dict[str, dict[str, Any]]:
    """Every message by id, as data (creation times compared apart)."""
    return {m.id: m.model_dump(exclude={"created"}) for m in chat.history}


def assert_same_history(copy: Conversation, original: Conversation) -> None:
    assert messages_of(copy) == messages_of(original)
    assert copy.history.children == original.history.children
    assert copy.history.selected == original.history.selected
    assert [m.id for m in copy.messages] == [m.id for m in original.messages]
    for message in original.history:
        assert copy.history.messages[message.id].created == pytest.approx(message.created, abs=1e-6)


def test_a_dataframe_of_every_branch_comes_back_whole() -> None:
    chat = branched_chat()
    df = chat.to_dataframe(branches=True)
    copy = Conversation.from_dataframe(df, client=chat.client, log=False)

    assert_same_history(copy, chat)
    assert copy.id == chat.id and copy.system == chat.system
    last = chat.messages[-1]
    assert copy.params.model == last.params["model"]
    assert copy.params.temperature == last.params["temperature"] == 0.3
    pd.testing.assert_frame_equal(copy.to_dataframe(branches=True), df)
    reply = copy.send("One more")  # a live conversation: it goes on from the current branch
    assert reply.status == "complete" and reply.parent_id == copy.messages[-2].id
    assert copy.messages[-3].id == last.id


def test_a_path_only_dataframe_comes_back_as_one_branch() -> None:
    chat = branched_chat()
    copy = Conversation.from_dataframe(chat.to_dataframe(), log=False)
    assert [m.id for m in copy.messages] == [m.id for m in chat.messages]
    assert len(copy.history) == len(chat.messages)
    assert copy.to_messages() == chat.to_messages()


def test_a_dataframe_built_by_hand() -> None:
    df = pd.DataFrame(
        {
            "role": ["system", "user", "assistant", "user"],
            "content": ["Answer in French.", "Hello", "Bonjour", "How are you?"],
        }
    )
    chat = Conversation.from_dataframe(df, client=workbench.Client(local=LocalModel()), log=False)
    assert [m["role"] for m in chat.to_messages()] == ["system", "user", "assistant", "user"]
    assert [m.content for m in chat.messages] == df["content"].tolist()
    assert [m.parent_id for m in chat.messages][1:] == [m.id for m in chat.messages][:-1]


def test_a_table_of_several_conversations_needs_a_choice() -> None:
    first, second = tool_chat(), local_chat()
    second.send("Hi")
    df = workbench.to_dataframe(first, second, branches=True)
    with pytest.raises(ValueError, match=r"2 conversations.*conversation_id="):
        Conversation.from_dataframe(df, log=False)
    copy = Conversation.from_dataframe(df, conversation_id=second.id, log=False)
    assert_same_history(copy, second)
    by_group = [Conversation.from_dataframe(g, log=False) for _, g in df.groupby("conversation_id")]
    assert sorted(c.id for c in by_group) == sorted([first.id, second.id])


def test_an_imported_conversation_is_logged_under_its_id(tmp_path: Path) -> None:
    chat = branched_chat()
    path = tmp_path / "log.sqlite3"
    Conversation.from_dataframe(chat.to_dataframe(branches=True), log=path)
    assert [c.id for c in conversations(path)] == [chat.id]
    assert_same_history(Conversation.load(chat.id, log=path), chat)


# -- JSONL -----------------------------------------------------------------------------------------


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_jsonl_lines_are_in_the_fine_tuning_format(tmp_path: Path) -> None:
    chat = tool_chat(parallel_tool_calls=False)
    path = tmp_path / "train.jsonl"
    chat.to_jsonl(path)
    [line] = read_lines(path)
    assert set(line) == {"messages", "tools", "parallel_tool_calls"}
    assert line["parallel_tool_calls"] is False
    assert line["messages"][0] == {"role": "system", "content": "Be brief."}
    assert [m["role"] for m in line["messages"]] == [
        "system", "user", "assistant", "tool", "assistant", "user", "assistant"
    ]  # fmt: skip
    calling = line["messages"][2]
    assert "content" not in calling, "a reply of tool calls has no content, as in the docs"
    assert calling["tool_calls"][0]["function"]["name"] == "get_weather"
    assert isinstance(calling["tool_calls"][0]["function"]["arguments"], str)
    assert line["messages"][3]["tool_call_id"] == calling["tool_calls"][0]["id"]
    message_schema = schema_validator("ChatCompletionRequestMessage")
    tool_schema = schema_validator("ChatCompletionTool")
    for message in line["messages"]:
        assert not list(message_schema.iter_errors(message)), message
    assert [t["function"]["name"] for t in line["tools"]] == ["get_weather"]
    for tool in line["tools"]:
        assert not list(tool_schema.iter_errors(tool)), tool


def test_jsonl_round_trip(tmp_path: Path) -> None:
    chat = branched_chat()
    path = tmp_path / "train.jsonl"
    chat.to_jsonl(path)
    [copy] = Conversation.from_jsonl(path, model="gpt-4o-mini", log=False)
    assert copy.to_messages() == chat.to_messages()
    assert copy.system == chat.system
    assert [t.to_param() for t in copy.tools.values()] == [
        t.to_param() for t in chat.tools.values()
    ]
    assert copy.tools["get_weather"].function is None, "a declaration: give functions with tools="
    again = Conversation.from_jsonl(path, tools=[get_weather], log=False)[0]
    assert again.tools["get_weather"].function is get_weather
    copy.to_jsonl(tmp_path / "again.jsonl")
    assert (tmp_path / "again.jsonl").read_text() == path.read_text()


def test_several_conversations_in_one_file(tmp_path: Path) -> None:
    chats = [tool_chat(), local_chat(), local_chat(system="Only French.")]
    chats[1].send("Hello")
    chats[2].send("Bonjour")
    path = tmp_path / "train.jsonl"
    chats[0].to_jsonl(path)
    path.write_text(path.read_text().rstrip("\n"))  # a file without its last newline
    for chat in chats[1:]:
        chat.to_jsonl(path, append=True)
    assert len(read_lines(path)) == 3
    copies = Conversation.from_jsonl(path, log=False)
    assert [c.to_messages() for c in copies] == [c.to_messages() for c in chats]
    chats[1].to_jsonl(path)  # without append: the file is replaced
    assert [c.to_messages() for c in Conversation.from_jsonl(path, log=False)] == [
        chats[1].to_messages()
    ]


def test_jsonl_leaves_out_what_the_model_would_not_see(tmp_path: Path) -> None:
    chat = local_chat()
    chat.send("Hello")
    chat.history.append(Message(role="user", content="Cut short"))
    chat.history.append(Message(role="assistant", content="Partial", status="incomplete"))
    path = tmp_path / "train.jsonl"
    chat.to_jsonl(path)
    [line] = read_lines(path)
    assert [m.get("content") for m in line["messages"]][-1] == "Cut short"
    assert "Partial" not in path.read_text()


def test_jsonl_keeps_images_and_user_names(tmp_path: Path) -> None:
    image = base64.b64encode(bytes(range(64))).decode()
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{image}"}},
    ]
    chat = local_chat()
    chat.history.append(Message(role="user", content=parts, name="ana"))
    chat.history.append(Message(role="assistant", content="A test pattern."))
    path = tmp_path / "train.jsonl"
    chat.to_jsonl(path)
    [copy] = Conversation.from_jsonl(path, log=False)
    assert copy.to_messages() == chat.to_messages(), "training data keeps the image itself"
    assert copy.messages[0].name == "ana"


# -- Parquet ---------------------------------------------------------------------------------------


def test_parquet_round_trip_with_settings(tmp_path: Path) -> None:
    chat = branched_chat()
    chat.enable_tool("get_weather", False)
    chat.max_tool_rounds = 3
    chat.params.top_p = 0.5
    path = tmp_path / "chat.parquet"
    chat.to_parquet(path)
    copy = Conversation.from_parquet(path, log=False)
    assert_same_history(copy, chat)
    assert copy.params == chat.params, "the settings, not only the last reply's"
    assert copy.max_tool_rounds == 3 and copy.system == chat.system
    assert [t.to_param() for t in copy.tools.values()] == [
        t.to_param() for t in chat.tools.values()
    ]
    assert not copy.tools["get_weather"].enabled
    pd.testing.assert_frame_equal(
        copy.to_dataframe(branches=True), chat.to_dataframe(branches=True)
    )
    plain = pd.read_parquet(path)  # readable by anyone: nested values as JSON text
    assert json.loads(plain["tool_calls"][1])[0]["name"] == "get_weather"


def test_a_table_saved_by_pandas_itself_reads_back(tmp_path: Path) -> None:
    chat = branched_chat()
    path = tmp_path / "by-pandas.parquet"
    chat.to_dataframe(branches=True).to_parquet(path)
    copy = Conversation.from_parquet(path, log=False)
    assert_same_history(copy, chat)


def test_parquet_without_pyarrow_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = local_chat()
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    with pytest.raises(ImportError, match="pip install pyarrow"):
        chat.to_parquet(tmp_path / "chat.parquet")
    with pytest.raises(ImportError, match="pip install pyarrow"):
        Conversation.from_parquet(tmp_path / "chat.parquet")
    assert not (tmp_path / "chat.parquet").exists()
    assert workbench.to_dataframe(chat).empty, "tables work without pyarrow"


def test_edited_token_counts_win_over_the_usage_dict() -> None:
    chat = tool_chat()
    df = chat.to_dataframe()
    df.loc[1, "prompt_tokens"] = 1000
    df.loc[1, "cached_tokens"] = 600
    copy = Conversation.from_dataframe(df, log=False)
    usage = copy.messages[1].usage
    original = chat.messages[1].usage
    assert usage is not None and original is not None
    assert usage.prompt_tokens == 1000 and usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 600
    assert usage.completion_tokens == original.completion_tokens, "the rest from the dict"
    df.loc[3, "usage"] = None
    without = Conversation.from_dataframe(df, log=False).messages[3].usage
    assert without is not None and original is not None
    assert without.total_tokens == chat.messages[3].usage.total_tokens  # type: ignore[union-attr]
