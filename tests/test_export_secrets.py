"""No API key in any export: the client's key and OpenAI-shaped keys are redacted everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

import workbench
from tests._mock import KEY, Recorder, completion_json, make_client
from workbench.conversation import Conversation
from workbench.conversation._history import Message

# Shaped like an OpenAI key (but not the client's): redacted by its shape alone.
SHAPED = "sk-proj-" + "A1b2C3d4" * 4


def leaky_chat(log: Path | bool = False) -> Conversation:
    """A conversation whose every text field carries the client's key or a key-shaped string."""
    reply = completion_json(f"Your key is {KEY}, and {SHAPED} too")
    client = make_client("sync", Recorder(httpx.Response(200, json=reply)), api_key=KEY)
    chat = Conversation(
        client=client,
        model="gpt-4o-mini",
        system=f"The key is {KEY}",
        log=log,
        metadata={"owner": KEY},
    )
    chat.send(f"My key is {KEY}; another is {SHAPED}", stream=False)
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "lookup", "arguments": json.dumps({"key": KEY})},
    }
    chat.history.append(Message(role="assistant", content=None, tool_calls=[call]))
    chat.history.append(Message(role="tool", tool_call_id="call_1", content=f"found {SHAPED}"))
    chat.history.append(
        Message(role="assistant", content="x", status="error", error=f"401 for key {KEY}")
    )
    parts = [{"type": "text", "text": f"and {KEY}"}]
    chat.history.append(Message(role="user", content=parts))
    if log is not False:
        chat._log_writer.sync()  # type: ignore[union-attr]
    return chat


def every_cell(frame: pd.DataFrame) -> str:
    return repr(frame.to_dict("records")) + repr(list(frame.columns))


def assert_clean(text: str) -> None:
    assert KEY not in text
    assert SHAPED not in text
    assert "A1b2C3d4A1b2" not in text


def test_no_key_in_a_dataframe() -> None:
    chat = leaky_chat()
    for frame in (
        chat.to_dataframe(branches=True),
        chat.usage_dataframe(),
        workbench.to_dataframe(chat),
    ):
        text = every_cell(frame)
        assert_clean(text)
        assert "[redacted]" in text
    df = chat.to_dataframe()
    assert df["content"][0] == "My key is [redacted]; another is sk-...redacted"
    assert chat.messages[0].content == f"My key is {KEY}; another is {SHAPED}", "untouched"


def test_no_key_in_jsonl_or_parquet(tmp_path: Path) -> None:
    chat = leaky_chat()
    chat.to_jsonl(tmp_path / "train.jsonl")
    text = (tmp_path / "train.jsonl").read_text()
    assert_clean(text)
    assert "[redacted]" in text
    chat.to_parquet(tmp_path / "chat.parquet")
    data = (tmp_path / "chat.parquet").read_bytes()
    assert KEY.encode() not in data and SHAPED.encode() not in data


def test_no_key_in_a_table_from_the_log(tmp_path: Path) -> None:
    leaky_chat(log=tmp_path / "log.sqlite3")
    assert_clean(every_cell(workbench.to_dataframe(log=tmp_path / "log.sqlite3", branches=True)))


def test_no_key_in_stored_completions() -> None:
    stored: dict[str, Any] = completion_json(f"reply with {KEY}", id="cc-1")
    stored["metadata"] = {"owner": KEY}
    messages = {
        "object": "list",
        "data": [{"id": "cc-1-0", "role": "user", "content": f"ask with {SHAPED}"}],
        "has_more": False,
    }

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/messages"):
            return httpx.Response(200, json=messages)
        return httpx.Response(200, json={"object": "list", "data": [stored], "has_more": False})

    client = make_client("sync", answer, api_key=KEY)
    assert_clean(every_cell(workbench.stored_dataframe(client)))
