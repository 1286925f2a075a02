"""The widget never shows a state the conversation does not have: every change made from code
(switch, undo, edit, keep, fork, regenerate, load, clear, params, tools, system) reaches every
open view at once, checked on the synced traits a view draws from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import workbench
import workbench.local
from workbench.conversation import Conversation
from workbench.widgets._widget import ConversationWidget, widget

from ._widgets import make_chat

pytestmark = pytest.mark.usefixtures("recording_comm")


def shown(w: ConversationWidget) -> list[tuple[str, str, list[int]]]:
    """What a view shows of the branch: each entry's id, role and "i/n" branch label."""
    return [(e["id"], e["role"], e["branch"]) for e in w.messages_html]


def truth(chat: Conversation) -> list[str]:
    return [m.id for m in chat.messages if m.role != "tool"]


def two_views(**kwargs: Any) -> tuple[Conversation, ConversationWidget, ConversationWidget]:
    chat = make_chat(temperature=1.5, **kwargs)
    return chat, widget(chat), widget(chat, compact=True)


def test_switch_from_code_redraws_every_view() -> None:
    chat, first, second = two_views()
    chat.send("hello")
    old = chat.messages[-1]
    new = chat.regenerate()
    for w in (first, second):
        assert shown(w)[-1] == (new.id, "assistant", [1, 2]), "regenerate from code shows"
    chat.switch(1, 0)
    for w in (first, second):
        assert shown(w)[-1] == (old.id, "assistant", [0, 2])
        assert [i for i, _, _ in shown(w)] == truth(chat)


def test_undo_edit_and_keep_from_code_redraw_the_view() -> None:
    chat, w, _ = two_views()
    chat.send("one")
    chat.send("two")
    assert len(w.messages_html) == 4
    chat.undo()
    assert [i for i, _, _ in shown(w)] == truth(chat) and len(w.messages_html) == 2
    edited = chat.edit(0, "one, edited", send=False)
    assert shown(w) == [(edited.id, "user", [1, 2])]
    assert w.messages_html[0]["text"] == "one, edited"
    chat.switch(0, 0)
    reply = chat.messages[-1]
    reply.status, reply.error = "incomplete", "stopped by the user"
    chat.keep(1)
    assert "kept: sent to the model again" in w.messages_html[-1]["html"]


def test_clear_starts_afresh_and_keeps_the_old_branch() -> None:
    chat, first, second = two_views()
    chat.send("hello")
    before = truth(chat)
    dropped = chat.clear()
    assert [m.id for m in dropped] == before and len(chat) == 0
    assert first.messages_html == [] and second.messages_html == []
    assert first.usage_text == first._transcript.footer(None), "the footer follows"
    assert chat.clear() == [], "clearing an empty conversation does nothing"
    chat.send("afresh")
    assert shown(first)[0][1:] == ("user", [1, 2]), "the old start is a branch of the new"
    chat.switch(0, 0)
    assert [i for i, _, _ in shown(first)] == before == [i for i, _, _ in shown(second)]


def test_a_fork_has_its_own_views() -> None:
    chat, original, _ = two_views()
    chat.send("hello")
    twin = chat.fork()
    twin_view = widget(twin)
    assert [e["id"] for e in twin_view.messages_html] == truth(twin)
    twin.send("only in the fork")
    twin.params.temperature = 0.1
    assert len(twin_view.messages_html) == 4 and twin_view.params["temperature"] == 0.1
    assert len(original.messages_html) == 2, "the original's view does not move"
    assert original.params["temperature"] == 1.5
    chat.undo()
    assert original.messages_html == [] and len(twin_view.messages_html) == 4


def test_a_loaded_conversation_shows_its_branch_and_versions(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    client = workbench.Client(local=workbench.local.LocalModel())
    chat = workbench.Conversation(client=client, model="m", log=path, temperature=1.5)
    chat.send("hello")
    chat.regenerate()
    chat.switch(1, 0)
    loaded = Conversation.load(chat.id, log=path, client=chat.client)
    w = widget(loaded)
    assert [i for i, _, _ in shown(w)] == truth(chat)
    assert shown(w)[-1][2] == [0, 2] and w.params["temperature"] == 1.5
    loaded.switch(1, 1)
    assert shown(w)[-1][2] == [1, 2]


def test_settings_from_code_reach_every_view() -> None:
    chat, first, second = two_views()
    chat.system = "Be brief."
    chat.params.max_completion_tokens = 64
    chat.enable_tool("get_weather", False)

    @chat.tool
    def add(a: int, b: int) -> int:
        """Add two numbers.

        Args:
            a: the first.
            b: the second.
        """
        return a + b

    for w in (first, second):
        assert w.system == "Be brief." and w.params["max_completion_tokens"] == 64
        assert {t["name"]: t["enabled"] for t in w.tools} == {"get_weather": False, "add": True}
    chat.params = workbench.ChatParams(model="other")
    assert first.params == {"model": "other"} == second.params


def test_the_widgets_own_switch_still_redraws_once() -> None:
    chat, w, _ = two_views()
    chat.send("hello")
    chat.regenerate()
    rev = w.transcript_rev
    w.switch(1, 0)
    assert w.messages_html[-1]["branch"] == [0, 2] and w.error == ""
    assert w.transcript_rev == rev + 1, "one patch, not two"
