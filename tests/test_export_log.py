"""``to_dataframe(log=...)`` and ``usage_dataframe(log=...)``: every conversation of the log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

import workbench
from tests._mock import Recorder, completion_json, make_client
from tests.test_export import DTYPES, USAGE_DTYPES, base_dtypes, get_weather
from workbench.conversation import Conversation
from workbench.local import LocalModel


def logged(path: Path | None, **kwargs: Any) -> Conversation:
    kwargs.setdefault("client", workbench.Client(local=LocalModel()))
    return Conversation(model="gpt-4o-mini", log=path if path is not None else None, **kwargs)


def test_the_log_gives_the_same_table_as_the_live_conversations(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    first = logged(path, system="Be brief.", tools=[get_weather], temperature=0.2)
    first.send("What is the weather in Paris?")
    first.regenerate()
    second = logged(path)
    second.send("Hello")
    for branches in (False, True):
        live = workbench.to_dataframe(first, second, branches=branches)
        read = workbench.to_dataframe(log=path, branches=branches)
        pd.testing.assert_frame_equal(read, live)
    pd.testing.assert_frame_equal(
        workbench.usage_dataframe(log=str(path)), workbench.usage_dataframe(first, second)
    )


def test_log_true_reads_the_default_log() -> None:
    chat = logged(None)  # WORKBENCH_LOG points into the test's tmp_path
    chat.send("Hello")
    df = workbench.to_dataframe(log=True)
    assert df["message_id"].tolist() == [m.id for m in chat.messages]
    assert df["conversation_id"].eq(chat.id).all()


def test_a_log_that_does_not_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_LOG", str(tmp_path / "nothing-yet.sqlite3"))
    empty = workbench.to_dataframe(log=True)
    assert len(empty) == 0 and base_dtypes(empty) == DTYPES, "no conversation has run yet"
    assert base_dtypes(workbench.usage_dataframe(log=True)) == USAGE_DTYPES
    assert not (tmp_path / "nothing-yet.sqlite3").exists(), "reading created no log"
    with pytest.raises(FileNotFoundError, match="typo"):
        workbench.to_dataframe(log=tmp_path / "typo.sqlite3")


def test_since_on_the_log(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    old = logged(path)
    old.send("An old question")
    between = dt.datetime.fromtimestamp(old.messages[-1].created + 1e-3, tz=dt.timezone.utc)
    while dt.datetime.now(dt.timezone.utc) <= between:
        pass  # the next messages are created after ``between``
    old.send("A later question in the same conversation")
    new = logged(path)
    new.send("A new conversation")
    later = [*(m.id for m in old.messages[2:]), *(m.id for m in new.messages)]
    for since in (between, between.isoformat(), between.timestamp()):
        df = workbench.to_dataframe(log=path, since=since)
        assert df["message_id"].tolist() == later
    usage = workbench.usage_dataframe(log=path, since=between)
    assert usage["message_id"].tolist() == [later[1], later[3]]
    assert len(workbench.to_dataframe(log=path, since=dt.timedelta(minutes=5))) == 6


def test_cost_read_from_the_log_uses_the_server_it_ran_on(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    reply = httpx.Response(200, json=completion_json("Hi"))
    client = make_client("sync", Recorder(reply), base_url=None)  # OpenAI's URL and prices
    chat = Conversation(client=client, model="gpt-4o-mini", log=path, api="chat")
    chat.send("Hello", stream=False)
    live = chat.to_dataframe()["cost_usd"][1]
    assert live > 0
    assert workbench.to_dataframe(log=path)["cost_usd"][1] == live


def test_conversations_and_a_log_together_are_refused(tmp_path: Path) -> None:
    chat = logged(tmp_path / "log.sqlite3")
    with pytest.raises(TypeError, match="not both"):
        workbench.to_dataframe(chat, log=True)


@pytest.mark.parametrize(
    ("base_url", "kept"),
    [
        ("https://user:secret@example.com:8443/v1?token=abc", "https://example.com:8443/v1"),
        ("http://[::1]:8000/v1", "http://[::1]:8000/v1/"),
    ],
)
def test_the_log_keeps_the_server_address_without_credentials(
    tmp_path: Path, base_url: str, kept: str
) -> None:
    from workbench.conversation._log import ConversationLog

    client = make_client("sync", Recorder(), base_url=base_url)
    chat = Conversation(client=client, log=tmp_path / "log.sqlite3")
    with ConversationLog(tmp_path / "log.sqlite3") as db:
        assert db.load(chat.id).meta["base_url"] == kept


def test_settings_changed_after_the_log_was_made_are_written(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    chat = Conversation(client=workbench.Client(local=LocalModel()), model="m", log=path)
    chat.send("Hi", stream=False)
    chat.api = "responses"
    chat.params.temperature = 0.3
    chat.system = "Be brief."
    chat.max_tool_rounds = 3  # no event of its own: written with the next change
    chat.params.top_p = 0.5
    again = Conversation.load(chat.id, log=path, client=workbench.Client(local=LocalModel()))
    assert again.api == "responses" and again.system == "Be brief."
    assert (again.params.temperature, again.params.top_p) == (0.3, 0.5)
    assert again.max_tool_rounds == 3
    assert [m.text for m in again.messages] == [m.text for m in chat.messages]
