"""A reply's reasoning in exports: a ``reasoning`` column that DataFrames and Parquet carry back,
left out of fine-tuning JSONL (what the model is sent), and scrubbed of keys like every value."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pandas as pd
import pytest

import workbench
from tests._mock import KEY, Recorder, completion_json, make_client
from tests.test_export_roundtrip import assert_same_history
from workbench.conversation import Conversation
from workbench.export import TranscriptError
from workbench.local import LocalModel


def reasoning_chat() -> Conversation:
    """Two turns and a regenerated reply on the local reasoning model, with a system prompt."""
    chat = Conversation(
        "workbench-local-reasoning",
        client=workbench.Client(local=LocalModel()),
        system="Be brief.",
        log=False,
    )
    chat.send("What is the weather in Paris?")
    chat.send("Thanks, and hello")
    chat.regenerate(seed=4, reasoning_effort="high")
    return chat


def test_the_table_has_a_reasoning_column_missing_where_there_is_none() -> None:
    chat = reasoning_chat()
    df = chat.to_dataframe()
    assert str(df["reasoning"].dtype) == "str"
    assert list(df.columns).index("reasoning") == list(df.columns).index("refusal") + 1
    replies = df[df["role"] == "assistant"]
    assert replies["reasoning"].tolist() == [m.reasoning for m in chat.messages[1::2]]
    assert all(text.startswith("The user says") for text in replies["reasoning"])
    assert df[df["role"] == "user"]["reasoning"].isna().all()
    every = chat.to_dataframe(branches=True)
    assert every["reasoning"].notna().sum() == 3, "the regenerated reply's old version too"


def test_a_dataframe_brings_the_reasoning_back() -> None:
    chat = reasoning_chat()
    df = chat.to_dataframe(branches=True)
    copy = Conversation.from_dataframe(df, client=chat.client, log=False)
    assert_same_history(copy, chat)
    assert [m.reasoning for m in copy.messages] == [m.reasoning for m in chat.messages]
    pd.testing.assert_frame_equal(copy.to_dataframe(branches=True), df)


def test_parquet_brings_the_reasoning_back(tmp_path: Path) -> None:
    chat = reasoning_chat()
    path = tmp_path / "chat.parquet"
    chat.to_parquet(path)
    copy = Conversation.from_parquet(path, log=False)
    assert_same_history(copy, chat)
    assert copy.messages[-1].reasoning == chat.messages[-1].reasoning
    assert "\n\n" in (copy.messages[-1].reasoning or ""), "a long think keeps its paragraphs"


def test_a_table_without_the_column_or_with_a_bad_value() -> None:
    plain = pd.DataFrame({"role": ["user", "assistant"], "content": ["Hi", "Hello"]})
    assert Conversation.from_dataframe(plain, log=False).messages[1].reasoning is None
    bad = plain.assign(reasoning=[None, 42])
    with pytest.raises(TranscriptError, match=r"row 1, reasoning: must be a string"):
        Conversation.from_dataframe(bad, log=False)


def test_fine_tuning_jsonl_leaves_the_reasoning_out(tmp_path: Path) -> None:
    chat = reasoning_chat()
    path = tmp_path / "train.jsonl"
    chat.to_jsonl(path)
    text = path.read_text()
    assert '"reasoning' not in text and "The user says" not in text  # nor the thoughts
    (line,) = [json.loads(line) for line in text.splitlines()]
    assert line["messages"] == [
        {"role": "system", "content": "Be brief."},
        *chat.to_messages()[1:],
    ]
    (copy,) = Conversation.from_jsonl(path, log=False)
    assert [m.content for m in copy.messages] == [m.content for m in chat.messages]
    assert {m.reasoning for m in copy.messages} == {None}


def test_a_key_in_the_reasoning_is_redacted_in_every_export(tmp_path: Path) -> None:
    data = completion_json("Done.")
    data["choices"][0]["message"]["reasoning_content"] = f"The key is {KEY}; keep it quiet."
    client = make_client("sync", Recorder(httpx.Response(200, json=data)), api_key=KEY)
    chat = Conversation(client=client, model="deepseek-reasoner", log=False)
    chat.send("Go", stream=False)
    assert KEY in (chat.messages[-1].reasoning or "")
    df = chat.to_dataframe()
    assert KEY not in df["reasoning"].iloc[-1] and "[redacted]" in df["reasoning"].iloc[-1]
    path = tmp_path / "chat.parquet"
    chat.to_parquet(path)
    assert KEY.encode() not in path.read_bytes()
