"""A reply still streaming is written to the log as it grows (at most every
``CHECKPOINT_SECONDS``), so a kernel that dies mid-reply leaves the partial reply in the log,
marked; the finished reply then replaces it; and the writes stay few however fast the stream."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import workbench
import workbench.conversation._log_writer as conversation_module
from workbench.conversation._log import ConversationLog
from workbench.conversation._turn_events import ContentDelta, RefusalDelta
from workbench.local import LocalModel, Pacing

PROMPT = " ".join(f"w{i}" for i in range(400))
NOTE = "still streaming when last written to the log"


def _logged(path: Path, chat_id: str) -> dict[str, Any]:
    """The conversation's messages as read back from the log by a connection of its own."""
    with ConversationLog(path) as db:
        return {m.id: m for m in db.load(chat_id).history().messages.values()}


def test_the_text_so_far_is_in_the_log_while_the_reply_streams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conversation_module, "CHECKPOINT_SECONDS", 0.0)
    path = tmp_path / "log.sqlite3"
    chat = workbench.Conversation(log=path)
    seen: list[tuple[str, Any]] = []
    text: list[str] = []

    def look(event: Any) -> None:
        if isinstance(event, ContentDelta):
            text.append(event.delta)
            if len(text) in (1, 5, 40):
                seen.append(("".join(text), _logged(path, chat.id).get(event.message_id)))

    chat.subscribe(look)
    reply = chat.send("Hello there, tell me something")
    assert len(text) > 40 and len(seen) == 3
    for so_far, logged in seen:
        assert logged is not None, "the reply is in the log before it ends"
        assert logged.content == so_far and logged.role == "assistant"
        assert logged.status == "incomplete" and logged.error == NOTE
    final = _logged(path, chat.id)[reply.id]
    assert final.status == "complete" and final.error is None and final.content == reply.text
    assert final == reply and [m.id for m in chat.messages] == list(_logged(path, chat.id))


def test_a_refusal_is_checkpointed_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conversation_module, "CHECKPOINT_SECONDS", 0.0)
    path = tmp_path / "log.sqlite3"
    chat = workbench.Conversation(log=path, model="gpt-4o-mini")
    logged: list[Any] = []

    def look(event: Any) -> None:
        if isinstance(event, RefusalDelta) and not logged:
            logged.append(_logged(path, chat.id).get(event.message_id))

    chat.subscribe(look)
    reply = chat.send("please refuse this")
    assert reply.refusal and logged and logged[0] is not None
    assert logged[0].refusal and reply.refusal.startswith(logged[0].refusal)
    assert logged[0].status == "incomplete"


def test_without_a_log_nothing_is_written_or_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conversation_module, "CHECKPOINT_SECONDS", 0.0)
    chat = workbench.Conversation(log=False)
    copies: list[Any] = []
    original = workbench.conversation.Message.model_copy

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        copies.append(kwargs.get("update"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(workbench.conversation.Message, "model_copy", spy)
    chat.send("Hello")
    assert not [c for c in copies if c and c.get("error") == NOTE]


def test_a_fast_stream_writes_the_log_a_bounded_number_of_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the real interval, a reply that streams in well under a second is written once, at
    its end (plus the user message): the checkpoint costs nothing to a fast reply."""
    writes: list[str] = []
    original = ConversationLog.save_changes

    def count(self: ConversationLog, conversation_id: str, messages: Any, choices: Any) -> None:
        messages = list(messages)
        writes.extend(m.role for m in messages)
        original(self, conversation_id, messages, choices)

    monkeypatch.setattr(ConversationLog, "save_changes", count)
    chat = workbench.Conversation(log=tmp_path / "log.sqlite3", model="gpt-4o-mini")
    chat.send(PROMPT, verbosity="high")
    assert writes == ["user", "assistant"]


@pytest.mark.slow
def test_a_kernel_that_dies_mid_reply_leaves_the_partial_reply_in_the_log(
    tmp_path: Path,
) -> None:
    """A process streaming a paced reply is killed (``os._exit``) two seconds in: the log then
    holds the user message and the reply so far, marked incomplete, and loads as a
    conversation."""
    path = tmp_path / "log.sqlite3"
    script = textwrap.dedent(
        f"""
        import os, time
        import workbench
        from workbench.local import LocalModel, Pacing
        client = workbench.Client(local=LocalModel(pacing=Pacing(tokens_per_second=50)))
        chat = workbench.Conversation(client=client, model="gpt-4o-mini", log={str(path)!r})
        print(chat.id, flush=True)
        started = time.monotonic()
        def die(event):
            if type(event).__name__ == "ContentDelta" and time.monotonic() - started > 2.2:
                os._exit(3)
        chat.subscribe(die)
        chat.send({PROMPT!r}, verbosity="high")
        print("the reply finished before the kill", flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3, done.stdout + done.stderr
    chat_id = done.stdout.split()[0]
    messages = list(_logged(path, chat_id).values())
    assert [m.role for m in messages] == ["user", "assistant"]
    partial = messages[1]
    assert partial.status == "incomplete" and partial.error == NOTE
    assert partial.content and len(partial.content.split()) >= 20, partial.content
    whole = workbench.Conversation(
        client=workbench.Client(local=LocalModel(pacing=Pacing())), model="gpt-4o-mini", log=False
    ).send(PROMPT, verbosity="high")
    assert whole.text.startswith(partial.content) and whole.text != partial.content
    restored = workbench.Conversation.load(chat_id, log=path)
    assert restored.messages[-1].status == "incomplete"
    assert restored.messages[-1].content == partial.content
