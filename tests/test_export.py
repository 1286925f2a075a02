"""``to_dataframe`` / ``usage_dataframe``: one row per message (or request), typed columns."""

from __future__ import annotations

import base64
import datetime as dt
import math
from typing import Any

import httpx
import pandas as pd
import pytest

import workbench
from tests._mock import Recorder, completion_json, make_client
from workbench.conversation import Conversation
from workbench.conversation._history import Message
from workbench.export._frames import USAGE_COLUMNS
from workbench.local import LocalModel
from workbench.protocol._pricing import cost_usd

# What each column holds: a literal here, so a change in the table shows as a failing test.
DTYPES = {
    "conversation_id": "str",
    "message_id": "str",
    "parent_id": "str",
    "position": "int64",
    "turn": "Int64",
    "role": "str",
    "name": "str",
    "content": "str",
    "content_parts": "object",
    "refusal": "str",
    "reasoning": "str",
    "tool_calls": "object",
    "tool_names": "str",
    "tool_call_id": "str",
    "model": "str",
    "params": "object",
    "prompt_tokens": "Int64",
    "completion_tokens": "Int64",
    "total_tokens": "Int64",
    "cached_tokens": "Int64",
    "reasoning_tokens": "Int64",
    "usage": "object",
    "cost_usd": "float64",
    "usage_source": "str",
    "latency_s": "float64",
    "ttft_s": "float64",
    "finish_reason": "str",
    "api": "str",
    "request_id": "str",
    "batch_id": "str",
    "status": "str",
    "error": "str",
    "kept": "bool",
    "created": "datetime64[us, UTC]",
    "on_path": "bool",
    "selected": "bool",
    "system": "str",
    "audio": "object",
    "media": "object",
}
USAGE_DTYPES = {name: DTYPES[name] for name in USAGE_COLUMNS}


def get_weather(city: str) -> dict[str, Any]:
    """Get the current weather for a city.

    Args:
        city: the city's name.
    """
    return {"city": city, "temperature": 21}


def local_chat(**kwargs: Any) -> Conversation:
    kwargs.setdefault("client", workbench.Client(local=LocalModel()))
    kwargs.setdefault("model", "gpt-4o-mini")
    kwargs.setdefault("log", False)
    return Conversation(**kwargs)


def tool_chat(**kwargs: Any) -> Conversation:
    """Two turns on the local model: a tool call and its answer, then plain text."""
    chat = local_chat(system="Be brief.", tools=[get_weather], temperature=0.3, **kwargs)
    chat.send("What is the weather in Paris?")
    chat.send("Thanks, and hello")
    return chat


def base_dtypes(frame: pd.DataFrame) -> dict[str, str]:
    return {k: str(v) for k, v in frame.dtypes.items() if not str(k).startswith("param_")}


def test_one_row_per_message_of_the_current_path() -> None:
    chat = tool_chat()
    path = chat.messages
    df = chat.to_dataframe()

    assert len(df) == len(path) == 6
    assert base_dtypes(df) == DTYPES
    assert list(df.columns[: list(df.columns).index("params") + 1]) == list(DTYPES)[:16]
    assert df["message_id"].tolist() == [m.id for m in path]
    assert df["parent_id"].tolist()[1:] == [m.id for m in path[:-1]]
    assert pd.isna(df["parent_id"][0])
    assert df["role"].tolist() == ["user", "assistant", "tool", "assistant", "user", "assistant"]
    assert df["turn"].tolist() == [0, 0, 0, 0, 1, 1]
    assert df["position"].tolist() == list(range(6))
    assert (df["conversation_id"] == chat.id).all()
    assert (df["system"] == "Be brief.").all()
    assert df["on_path"].all() and df["selected"].all()

    # The tool call: name, arguments and the result the tool message carried.
    [call] = df["tool_calls"][1]
    tool_message = path[2]
    assert call["name"] == "get_weather" and call["id"] == tool_message.tool_call_id
    assert call["arguments"] == path[1].tool_calls[0]["function"]["arguments"]  # type: ignore[index]
    assert call["result"] == tool_message.content
    assert df["tool_names"][1] == "get_weather"
    assert df["tool_call_id"][2] == tool_message.tool_call_id
    assert df["name"][2] == "get_weather"
    assert df["tool_calls"][[0, 2, 3, 4, 5]].isna().all()

    for i, message in enumerate(path):
        row = df.iloc[i]
        if message.content is None:
            assert pd.isna(row["content"]) and message.role == "assistant"
        else:
            assert row["content"] == message.content
        created = pd.Timestamp(message.created, unit="s", tz="UTC")
        assert abs(row["created"] - created) <= pd.Timedelta(1, "us")
        if message.role == "assistant":
            usage = message.usage
            assert usage is not None and message.latency is not None
            assert row["prompt_tokens"] == usage.prompt_tokens
            assert row["completion_tokens"] == usage.completion_tokens
            assert row["total_tokens"] == usage.total_tokens
            assert row["usage"] == usage.model_dump()
            assert row["latency_s"] == message.latency.total
            assert row["ttft_s"] == message.latency.first_token
            assert row["params"] == message.params and row["param_temperature"] == 0.3
            assert row["model"] == message.model and row["finish_reason"] == message.finish_reason
            assert math.isnan(row["cost_usd"]), "the local model has no price: NaN, never 0"
        else:
            assert pd.isna(row["prompt_tokens"]) and pd.isna(row["cost_usd"])
            assert row["params"] is None and pd.isna(row["param_temperature"])
            if message.role == "tool":  # how long the tool ran
                assert message.latency is not None and row["latency_s"] == message.latency.total
            else:
                assert pd.isna(row["latency_s"])
    assert df["status"].eq("complete").all() and not df["kept"].any()


def test_dtypes_are_the_same_for_no_one_or_many_rows() -> None:
    empty = workbench.to_dataframe()
    assert len(empty) == 0 and base_dtypes(empty) == DTYPES
    lone = local_chat()
    lone.history.append(Message(role="user", content="only a question"))
    one = workbench.to_dataframe(lone)
    assert len(one) == 1 and base_dtypes(one) == DTYPES
    many = workbench.to_dataframe(tool_chat(), tool_chat())
    assert len(many) == 12 and base_dtypes(many) == DTYPES
    assert base_dtypes(workbench.usage_dataframe()) == USAGE_DTYPES
    assert base_dtypes(workbench.usage_dataframe(lone)) == USAGE_DTYPES
    usage = set(workbench.usage_dataframe().columns)
    needed = {"conversation_id", "message_id", "model", "params", "prompt_tokens", "cost_usd"}
    assert needed | {"completion_tokens", "latency_s", "ttft_s", "request_id", "status"} <= usage


def test_param_columns_have_the_parameters_own_types() -> None:
    chat = local_chat(temperature=0.5, seed=7, max_completion_tokens=50, logprobs=True)
    chat.send("Hello", reasoning_effort="low")
    df = chat.to_dataframe()
    params = {k: str(v) for k, v in df.dtypes.items() if str(k).startswith("param_")}
    assert params == {
        "param_model": "str",
        "param_temperature": "float64",
        "param_max_completion_tokens": "Int64",
        "param_reasoning_effort": "str",
        "param_seed": "Int64",
        "param_logprobs": "boolean",
    }
    reply = df.iloc[1]
    assert reply["param_seed"] == 7 and reply["param_reasoning_effort"] == "low"
    assert reply["param_max_completion_tokens"] == 50 and bool(reply["param_logprobs"])
    assert pd.isna(df["param_seed"][0]), "the user message sent no request"


def test_branches_every_version_with_its_place() -> None:
    chat = tool_chat()
    old = chat.messages[-1]
    new = chat.regenerate()
    chat.edit(4, "A different second question")
    current = {m.id for m in chat.messages}
    df = chat.to_dataframe(branches=True)

    assert len(df) == len(chat.history) == 9
    assert set(df["message_id"]) == set(chat.history.messages)
    assert set(df.loc[df["on_path"], "message_id"]) == current
    by_id = df.set_index("message_id")
    assert by_id.loc[old.id, "turn"] == by_id.loc[new.id, "turn"] == 1
    assert by_id.loc[old.id, "position"] == by_id.loc[new.id, "position"] == 5
    assert not by_id.loc[old.id, "on_path"] and not by_id.loc[new.id, "on_path"]
    assert by_id.loc[new.id, "selected"] and not by_id.loc[old.id, "selected"]
    assert chat.to_dataframe()["message_id"].tolist() == [m.id for m in chat.messages]


def test_a_known_model_is_priced_and_an_unknown_one_is_nan() -> None:
    handler = Recorder(httpx.Response(200, json=completion_json("Hi")))
    client = make_client("sync", handler, base_url=None)  # OpenAI's prices need OpenAI's URL
    chat = Conversation(client=client, model="gpt-4o-mini", log=False, api="chat")
    chat.send("Hello", stream=False)
    chat.send("Again", stream=False, model="no-such-model-anywhere")
    df = chat.to_dataframe()
    usage = chat.messages[1].usage
    expected = cost_usd("gpt-4o-mini", usage, "https://api.openai.com/v1/")
    assert expected is not None and expected > 0
    assert df["cost_usd"][1] == pytest.approx(expected)
    # completion_json always answers "gpt-4o-mini": price by the model that answered
    assert df["cost_usd"][3] == pytest.approx(expected)
    assert df["cost_usd"][[0, 2]].isna().all()


def test_content_parts_are_references_never_base64() -> None:
    image = base64.b64encode(bytes(range(256)) * 40).decode()
    audio = base64.b64encode(b"RIFF" + bytes(3000)).decode()
    parts = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{image}"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "input_audio", "input_audio": {"data": audio, "format": "wav"}},
    ]
    chat = local_chat()
    chat.history.append(Message(role="user", content=parts))
    df = chat.to_dataframe()
    text = df["content"][0]
    assert text.splitlines()[0] == "What is in this picture?"
    assert f"[image: image/png, {256 * 40} bytes, sha256 " in text
    assert "[image: https://example.com/cat.png]" in text
    assert "[audio: audio/wav, 3004 bytes, sha256 " in text
    stored = df["content_parts"][0]
    assert [p["type"] for p in stored] == ["text", "image_url", "image_url", "input_audio"]
    assert stored[2] == parts[2]
    dumped = repr(df.to_dict("records"))
    assert image[:40] not in dumped and audio[:40] not in dumped
    assert parts[1]["image_url"]["url"].endswith(image), "the message itself is untouched"


def test_a_failed_reply_is_a_row_with_its_status_and_error() -> None:
    handler = Recorder(httpx.Response(500, json={"error": {"message": "boom"}}))
    chat = Conversation(
        client=make_client("sync", handler, max_retries=0), model="gpt-4o-mini", log=False
    )
    with pytest.raises(workbench.InternalServerError):
        chat.send("Hello")
    df = chat.to_dataframe()
    assert df["status"].tolist() == ["complete", "error"]
    assert "boom" in df["error"][1] and pd.isna(df["prompt_tokens"][1])
    assert math.isnan(df["cost_usd"][1])
    usage = workbench.usage_dataframe(chat)
    assert usage["status"].tolist() == ["error"], "a failed request is a request too"


def test_usage_dataframe_one_row_per_request() -> None:
    chat = tool_chat()
    chat.regenerate()
    replies = [m for m in chat.history if m.role == "assistant"]
    usage = chat.usage_dataframe()
    assert base_dtypes(usage) == USAGE_DTYPES
    assert usage["message_id"].tolist() == [m.id for m in replies]
    assert usage["total_tokens"].sum() == sum(m.usage.total_tokens for m in replies if m.usage)
    assert usage["on_path"].tolist() == [True, True, False, True]
    assert usage["tool_names"][0] == "get_weather" and usage["tool_names"][1:].isna().all()
    path_only = workbench.usage_dataframe(chat, branches=False)
    assert path_only["message_id"].tolist() == [
        m.id for m in chat.messages if m.role == "assistant"
    ]


def test_several_conversations_in_order_lists_flattened() -> None:
    first, second, third = local_chat(), local_chat(), local_chat()
    for chat in (first, second, third):
        chat.send("Hi")
    df = workbench.to_dataframe(first, [second, third])
    assert df["conversation_id"].tolist() == [c.id for c in (first, second, third) for _ in "ab"]
    with pytest.raises(TypeError, match="Conversation"):
        workbench.to_dataframe("not a conversation")  # type: ignore[arg-type]


def test_since_keeps_later_messages_of_live_conversations() -> None:
    chat = local_chat()
    chat.send("First")
    middle = chat.messages[-1].created + 1e-6
    chat.send("Second")
    later = [m.id for m in chat.messages if m.created >= middle]
    assert len(later) == 2
    for since in (
        middle,
        dt.datetime.fromtimestamp(middle, tz=dt.timezone.utc),
        dt.datetime.fromtimestamp(middle, tz=dt.timezone.utc).isoformat(),
    ):
        assert workbench.to_dataframe(chat, since=since)["message_id"].tolist() == later
    assert len(workbench.to_dataframe(chat, since=dt.timedelta(hours=1))) == 4
    assert len(workbench.to_dataframe(chat, since="2999-01-01")) == 0
    with pytest.raises(ValueError, match="ISO 8601"):
        workbench.to_dataframe(chat, since="last tuesday")
    with pytest.raises(TypeError, match="since"):
        workbench.to_dataframe(chat, since=[1])  # type: ignore[arg-type]
