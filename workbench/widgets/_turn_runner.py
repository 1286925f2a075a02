"""Where a widget's turn runs: in the background on the kernel's event loop, Stop-able.

A turn started from the widget runs as a task on the kernel's event loop (``chat.asend``), so
the kernel keeps reading messages while the reply streams and a Stop click is handled at once;
everything, comm sends included, stays on the kernel's thread. Without a running loop (a plain
script, a test) there is no background: the widget runs the turn to its end. ``regenerate``
has no async twin in ``Conversation``: with a running loop it runs in a worker thread
(``loop.run_in_executor``), which keeps Stop responsive too.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["driven_by_widget", "start_in_background"]

# Conversations whose running turn was started by a widget: the kernel's main thread is free
# while it runs, so a widget can take the user's decision on a tool call (``confirm_tools``).
_DRIVEN: weakref.WeakSet[Any] = weakref.WeakSet()


def driven_by_widget(chat: object) -> bool:
    """Whether ``chat``'s running turn was started by a widget (which then decides its tool
    calls that wait for approval)."""
    return chat in _DRIVEN


def start_in_background(
    chat: object,
    run: Callable[[], Any],
    arun: Callable[[], Awaitable[Any]] | None,
    *,
    stop: Callable[[], None],
    done: Callable[[asyncio.Future[Any]], None],
) -> asyncio.Future[Any] | None:
    """Start a turn of ``chat`` as a task on the running event loop: ``arun`` when given, else
    ``run`` in a worker thread. ``done`` gets the task when it ends; a kernel interrupt meanwhile
    calls ``stop``. Returns the task, or None when no loop runs (nothing was started)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None

    async def turn() -> Any:
        if arun is not None:
            return await arun()
        return await loop.run_in_executor(None, run)

    _DRIVEN.add(chat)
    task = loop.create_task(turn())
    task.add_done_callback(lambda _task: _DRIVEN.discard(chat))
    task.add_done_callback(done)
    _stop_on_interrupt(task, stop)
    return task


def _stop_on_interrupt(task: asyncio.Future[Any], stop: Callable[[], None]) -> None:
    """While a background turn runs, a kernel interrupt (SIGINT) stops it like Stop.

    ipykernel leaves SIGINT alone while it is idle, which it is while a widget's turn runs
    as a task; a cell run meanwhile gets its own handler and gives ours back after.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # installed outside Python: give back Python's default
        previous = signal.default_int_handler

    def on_interrupt(signum: int, frame: Any) -> None:
        stop()

    def restore(_task: Any) -> None:
        if signal.getsignal(signal.SIGINT) is on_interrupt:
            signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, on_interrupt)
    task.add_done_callback(restore)
