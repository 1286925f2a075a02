"""The message tree: paths, siblings, selection, and nothing ever deleted."""

from __future__ import annotations

import pytest

from workbench.conversation._history import History, Message


def user(text: str) -> Message:
    return Message(role="user", content=text)


def reply(text: str, parent: Message) -> Message:
    return Message(role="assistant", content=text, parent_id=parent.id)


def test_append_builds_the_path_in_order() -> None:
    history = History()
    a = history.append(user("a"))
    b = history.append(Message(role="assistant", content="b"))
    assert [m.text for m in history.path()] == ["a", "b"]
    assert b.parent_id == a.id
    assert history.leaf() is b


def test_siblings_keep_old_versions_and_select_switches() -> None:
    history = History()
    a = history.append(user("a"))
    first = history.add(reply("first", a))
    history.append(user("more"))
    second = history.add(reply("second", a))
    assert [m.text for m in history.path()] == ["a", "second"]
    assert [m.text for m in history.siblings(second)] == ["first", "second"]
    history.select(first.id)
    assert [m.text for m in history.path()] == ["a", "first", "more"], (
        "the old branch comes back whole"
    )
    assert len(history) == 4


def test_add_without_select_keeps_the_current_path() -> None:
    history = History()
    a = history.append(user("a"))
    history.add(reply("shown", a))
    history.add(reply("alternative", a), select=False)
    assert [m.text for m in history.path()] == ["a", "shown"]


def test_cut_after_ends_the_path_without_deleting() -> None:
    history = History()
    a = history.append(user("a"))
    b = history.add(reply("b", a))
    history.cut_after(a.id)
    assert history.path() == [a]
    history.cut_after(None)
    assert history.path() == []
    history.select(b.id)
    assert history.path() == [a, b]


def test_adding_under_an_unknown_parent_fails() -> None:
    with pytest.raises(KeyError):
        History().add(Message(role="user", content="x", parent_id="msg_missing"))


def test_copy_path_is_independent() -> None:
    history = History()
    history.append(user("a"))
    history.append(Message(role="assistant", content="b"))
    history.append(user("c"))
    copy = history.copy_path(2)
    assert [m.text for m in copy.path()] == ["a", "b"]
    copy.append(user("d"))
    assert [m.text for m in history.path()] == ["a", "b", "c"]


def test_to_param_and_sendable() -> None:
    tool_call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    assistant = Message(role="assistant", content=None, tool_calls=[tool_call])
    assert assistant.to_param() == {"role": "assistant", "content": None, "tool_calls": [tool_call]}
    tool = Message(role="tool", content="42", tool_call_id="call_1", name="f")
    assert tool.to_param() == {"role": "tool", "content": "42", "tool_call_id": "call_1"}
    partial = Message(role="assistant", content="half", status="incomplete")
    assert not partial.sendable
    partial.kept = True
    assert partial.sendable
    refused = Message(role="assistant", refusal="no")
    assert refused.text == "[refusal] no"
    assert refused.to_param() == {"role": "assistant", "content": None, "refusal": "no"}


def test_repr_is_short_and_shows_status() -> None:
    message = Message(role="assistant", content="x" * 200, status="incomplete")
    text = repr(message)
    assert len(text) < 120 and "incomplete" in text
