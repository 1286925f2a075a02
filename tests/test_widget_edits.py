"""A message changed in place from code (``chat[-1].content = ...``) reaches every open view at
once, and the log; a turn's own changes do not announce themselves one by one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import workbench
import workbench.local
from workbench.widgets._widget import widget

from ._widgets import make_chat

pytestmark = pytest.mark.usefixtures("recording_comm")


def test_an_assignment_to_a_message_redraws_every_view() -> None:
    chat = make_chat()
    full, compact = widget(chat), widget(chat, compact=True)
    chat.send("hello")
    chat[-1].content = "A reply corrected by hand"
    for w in (full, compact):
        assert "A reply corrected by hand" in w.messages_html[-1]["html"]
    chat[0].content = "hello, edited in place"
    assert full.messages_html[0]["text"] == "hello, edited in place"
    assert len(chat.branches(0)) == 1  # in place: no new version, unlike chat.edit


def test_nested_data_changed_in_place_shows_after_touch() -> None:
    chat = make_chat()
    w = widget(chat)
    chat.send("What is the weather in Paris?")
    call = next(m for m in chat.messages if m.tool_calls)
    assert call.tool_calls is not None
    call.tool_calls[0]["function"]["arguments"] = json.dumps({"city": "Lyon"})
    assert "Lyon" not in json.dumps(w.messages_html)  # nested data: nothing could notice
    chat.history.touch(call.id)
    assert "Lyon" in json.dumps(w.messages_html)


def test_an_in_place_change_is_written_to_the_log(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    client = workbench.Client(local=workbench.local.LocalModel())
    chat = workbench.Conversation(client=client, model="m", log=path)
    chat.send("hello")
    chat[-1].content = "Corrected"
    chat.close()
    assert workbench.Conversation.load(chat.id, log=path)[-1].content == "Corrected"


def test_a_turn_does_not_announce_its_own_changes() -> None:
    chat = make_chat()
    events: list[str] = []
    chat.subscribe(lambda event: events.append(event.type))
    chat.send("What is the weather in Paris?")  # a tool round: many fields set on messages
    assert "history.changed" not in events
    chat[-1].content = "Sunny, by hand"
    assert events[-1] == "history.changed"


def test_an_observer_that_edits_a_message_does_not_loop() -> None:
    chat = make_chat()
    chat.send("hello")
    heard: list[Any] = []

    def stamp(event: Any) -> None:
        heard.append(event)
        if event.type == "history.changed":
            chat[-1].name = None  # a field set while the change is being announced

    chat.subscribe(stamp)
    chat[-1].content = "Once"
    assert len(heard) == 1


def test_a_fork_announces_to_its_own_views() -> None:
    chat = make_chat()
    chat.send("hello")
    twin = chat.fork()
    mine, theirs = widget(chat), widget(twin)
    twin[-1].content = "Only in the fork"
    assert "Only in the fork" in theirs.messages_html[-1]["html"]
    assert "Only in the fork" not in mine.messages_html[-1]["html"]
