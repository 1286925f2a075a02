"""Driving ``ConversationWidget`` without a kernel: a comm that records what the widget sends,
and the front end's messages delivered as the kernel would deliver them.

The comm follows ipywidgets' own tests' ``DummyComm``: the ``recording_comm`` fixture (in
conftest) patches ``comm.create_comm`` to return a comm that records every ``send`` (state
updates and custom messages).
"""

from __future__ import annotations

from typing import Any

import workbench
import workbench.local
from workbench.conversation import Conversation
from workbench.widgets._widget import ConversationWidget


class RecordingComm:
    """A comm that records what the widget sends (after ipywidgets' tests' ``DummyComm``)."""

    comm_id = "comm-test"
    kernel = "Truthy"  # ipywidgets only sends when the comm has a kernel

    def __init__(self, **kwargs: Any) -> None:
        self.opened_with = kwargs
        self.messages: list[dict[str, Any]] = []
        self.buffers: list[list[bytes]] = []  # each message's binary buffers (media bytes)

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, callback: Any) -> None:
        self.callback = callback

    def send(self, data: Any = None, buffers: Any = None, **kwargs: Any) -> None:
        self.messages.append(data)
        self.buffers.append([bytes(b) for b in buffers or ()])

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass

    # -- reading what was sent --

    def custom(self, kind: str) -> list[dict[str, Any]]:
        return [
            m["content"]
            for m in self.messages
            if m["method"] == "custom" and m["content"].get("type") == kind
        ]

    def clear(self) -> None:
        self.messages.clear()
        self.buffers.clear()


def get_weather(city: str) -> dict[str, Any]:
    """Get the current weather for a city.

    Args:
        city: the city's name.
    """
    return {"city": city, "temperature": 21}


def make_chat(pacing: workbench.local.Pacing | None = None, **kwargs: Any) -> Conversation:
    return workbench.Conversation(
        client=workbench.Client(local=workbench.local.LocalModel(pacing=pacing)),
        model="m",
        log=False,
        tools=[get_weather],
        **kwargs,
    )


def recorded(w: ConversationWidget) -> RecordingComm:
    assert isinstance(w.comm, RecordingComm)
    return w.comm


def front_end(w: ConversationWidget, content: dict[str, Any]) -> None:
    """Deliver a custom message as the kernel would from the front end."""
    recorded(w).callback(
        {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
    )
