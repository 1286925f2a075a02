"""Running a grid's coroutine to its end from synchronous code: in a worker thread with an event
loop of its own, the first Ctrl-C cancelling the run instead of raising."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import signal
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

__all__ = ["run_blocking"]

T = TypeVar("T")


def run_blocking(factory: Callable[[], Awaitable[T]], cancel: Callable[[], None]) -> T:
    """Run ``factory()``'s coroutine to its end in a worker thread with its own loop; the first
    Ctrl-C calls ``cancel``."""
    context = contextvars.copy_context()
    with (
        _interrupt_cancels(cancel),
        concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="workbench-grid") as pool,
    ):
        return pool.submit(context.run, _run_in_new_loop, factory).result()


@contextlib.contextmanager
def _interrupt_cancels(cancel: Callable[[], None]) -> Iterator[None]:
    """While the block runs, the first Ctrl-C (SIGINT: also a Jupyter kernel interrupt) calls
    ``cancel`` instead of raising; a second one raises ``KeyboardInterrupt`` as usual.

    A handler rather than ``except KeyboardInterrupt``: the exception could land anywhere in the
    waiting thread (while the worker thread is still starting, say), outside any ``try``.
    Only the main thread receives signals; elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    pressed = False

    def on_interrupt(signum: int, frame: Any) -> None:
        nonlocal pressed
        if pressed:
            raise KeyboardInterrupt
        pressed = True
        cancel()

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)


def _run_in_new_loop(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return asyncio.run(main())
