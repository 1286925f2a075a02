"""A reply that came through the Batch API keeps its ``batch_id`` through every export, so it
is priced at the batch price wherever it is read back."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench
from tests._mock import make_client
from workbench.conversation import Conversation
from workbench.conversation._history import Message
from workbench.conversation._log import ConversationLog
from workbench.protocol._pricing import cost_usd
from workbench.types import CompletionUsage

OPENAI = "https://api.openai.com/v1"
USAGE = CompletionUsage(prompt_tokens=1000, completion_tokens=500, total_tokens=1500)


def batch_chat() -> Conversation:
    """A conversation on OpenAI whose one reply came back through batch ``batch_abc``."""
    chat = Conversation(model="gpt-4o-mini", client=make_client("sync", base_url=OPENAI), log=False)
    chat.history.append(Message(role="user", content="Hi"))
    chat.history.append(
        Message(
            role="assistant",
            content="Hello",
            model="gpt-4o-mini",
            usage=USAGE,
            batch_id="batch_abc",
        )
    )
    return chat


def reply_of(frame: object) -> tuple[str | None, float]:
    """The batch id and cost of the frame's one reply."""
    import pandas as pd

    assert isinstance(frame, pd.DataFrame)
    replies = frame[frame["role"] == "assistant"]
    assert len(replies) == 1
    batch_id = replies["batch_id"].iloc[0]
    return (None if pd.isna(batch_id) else str(batch_id)), float(replies["cost_usd"].iloc[0])


@pytest.fixture
def batch_price() -> float:
    price = cost_usd("gpt-4o-mini", USAGE, OPENAI, batch=True)
    live = cost_usd("gpt-4o-mini", USAGE, OPENAI)
    assert price is not None and live is not None and price == pytest.approx(live / 2)
    return price


def test_tables_have_the_batch_id_column(batch_price: float) -> None:
    chat = batch_chat()
    assert reply_of(workbench.to_dataframe(chat)) == ("batch_abc", pytest.approx(batch_price))
    usage = workbench.usage_dataframe(chat)
    assert list(usage["batch_id"]) == ["batch_abc"]
    assert list(usage["cost_usd"]) == [pytest.approx(batch_price)]


def test_parquet_round_trip_keeps_the_batch_price(tmp_path: Path, batch_price: float) -> None:
    path = tmp_path / "chat.parquet"
    batch_chat().to_parquet(path)
    back = Conversation.from_parquet(path, client=make_client("sync", base_url=OPENAI))
    assert back.messages[-1].batch_id == "batch_abc"
    assert reply_of(back.to_dataframe()) == ("batch_abc", pytest.approx(batch_price))


def test_dataframe_round_trip_keeps_the_batch_id(batch_price: float) -> None:
    frame = batch_chat().to_dataframe(branches=True)
    back = Conversation.from_dataframe(frame, client=make_client("sync", base_url=OPENAI))
    assert back.messages[-1].batch_id == "batch_abc"
    assert reply_of(back.to_dataframe()) == ("batch_abc", pytest.approx(batch_price))


def test_live_reply_has_no_batch_id(tmp_path: Path) -> None:
    chat = batch_chat()
    chat.messages[-1].batch_id = None
    live = cost_usd("gpt-4o-mini", USAGE, OPENAI)
    path = tmp_path / "live.parquet"
    chat.to_parquet(path)
    back = Conversation.from_parquet(path, client=make_client("sync", base_url=OPENAI))
    assert reply_of(back.to_dataframe()) == (None, pytest.approx(live))


def test_log_round_trip_keeps_the_batch_price(tmp_path: Path, batch_price: float) -> None:
    log = tmp_path / "log.sqlite3"
    chat = batch_chat()
    with ConversationLog(log) as db:
        db.save_conversation(chat.id, model="gpt-4o-mini", system=None, title=None, meta={})
        for message in chat.messages:
            db.save_message(chat.id, message)
        db.save_selection(chat.id, chat.history.selected)
    back = Conversation.load(chat.id, log=log, client=make_client("sync", base_url=OPENAI))
    assert reply_of(back.to_dataframe()) == ("batch_abc", pytest.approx(batch_price))
