"""A pytest plugin for the notebook check: nbval applies ``update_display_data``.

Jupyter front ends and nbclient replace a displayed output when the kernel sends
``update_display_data`` for its display id; nbval 0.11 ignores those messages ("unhandled iopub
msg"), so it would compare the first version of an updated output with the final one stored in
the notebook. ``%%chat`` displays a live widget at the start of a turn and updates it at the end
(its ``text/plain`` becomes the finished turn).

This plugin wraps nbval's message reader. From a display with an id until the cell's kernel goes
idle, messages are read ahead and held; updates are folded into the display they update; then
the held messages are handed to nbval in their order, the display carrying its last version.

Load it with ``-p tests.nbval_display_updates`` next to ``--nbval``.
"""

from __future__ import annotations

import copy
from collections import deque
from typing import Any

import pytest


def _display_id(message: dict[str, Any]) -> str | None:
    transient = (message.get("content") or {}).get("transient") or {}
    value = transient.get("display_id")
    return str(value) if value else None


def _is_idle(message: dict[str, Any]) -> bool:
    content = message.get("content") or {}
    return message.get("msg_type") == "status" and content.get("execution_state") == "idle"


def pytest_configure(config: pytest.Config) -> None:
    import nbval.plugin

    cls: Any = nbval.plugin.IPyNbFile
    if getattr(cls, "_workbench_updates", False):
        return
    read = cls.get_kernel_message

    def get_kernel_message(self: Any, timeout: float | None = None, stream: str = "iopub") -> Any:
        queue: deque[Any] = self.__dict__.setdefault("_workbench_queue", deque())
        if stream != "iopub":
            return read(self, timeout=timeout, stream=stream)
        if queue:
            return queue.popleft()
        message = read(self, timeout=timeout, stream=stream)
        if message.get("msg_type") != "display_data" or _display_id(message) is None:
            return message
        held = [copy.deepcopy(message)]
        displays = {_display_id(message): held[0]}
        parent = message.get("parent_header", {}).get("msg_id")
        while True:  # read ahead to the end of this cell
            following = read(self, timeout=timeout, stream=stream)
            same_cell = following.get("parent_header", {}).get("msg_id") == parent
            display_id = _display_id(following)
            kind = following.get("msg_type")
            if kind == "update_display_data" and display_id in displays:
                target = displays[display_id]["content"]
                target["data"] = following["content"].get("data", {})
                target["metadata"] = following["content"].get("metadata", {})
                continue
            if kind == "display_data" and display_id is not None:
                following = copy.deepcopy(following)
                displays[display_id] = following
            held.append(following)
            if same_cell and _is_idle(following):
                break
        queue.extend(held[1:])
        return held[0]

    cls.get_kernel_message = get_kernel_message
    cls._workbench_updates = True
