"""Running a grid's coroutine to its end from synchronous code: in a worker thread with an event
loop of its own, the first Ctrl-C cancelling the run instead of raising, the second one
stopping the wait (the coroutine is cancelled and the ``KeyboardInterrupt`` raised)."""

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
    Ctrl-C calls ``cancel``, the second cancels the coroutine (its ``finally`` blocks run: a
    batch run leaves its rows in the log for ``resume()``) and raises ``KeyboardInterrupt``."""
    context = contextvars.copy_context()
    running = _Running()
    with (
        _interrupt_cancels(cancel, running.stop),
        concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="workbench-grid") as pool,
    ):
        return pool.submit(context.run, _run_in_new_loop, factory, running).result()


class _Running:
    """The loop and task a coroutine runs in, in the worker thread; ``stop`` (any thread)
    cancels the task."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._stopped = False

    def started(self) -> None:
        """Note the current loop and task (called in them); a stop before it cancels now."""
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
            stopped = self._stopped
        if stopped and self._task is not None:
            self._task.cancel()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            loop, task = self._loop, self._task
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop just closed: the run is over
                loop.call_soon_threadsafe(task.cancel)


@contextlib.contextmanager
def _interrupt_cancels(cancel: Callable[[], None], stop: Callable[[], None]) -> Iterator[None]:
    """While the block runs, the first Ctrl-C (SIGINT: also a Jupyter kernel interrupt) calls
    ``cancel`` instead of raising; a second one calls ``stop`` and raises ``KeyboardInterrupt``
    (a cancel can wait long: a batch takes its time to be ``cancelled``).

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
            stop()
            raise KeyboardInterrupt
        pressed = True
        cancel()

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)


def _run_in_new_loop(factory: Callable[[], Awaitable[T]], running: _Running) -> T:
    async def main() -> T:
        running.started()
        return await factory()

    return asyncio.run(main())
