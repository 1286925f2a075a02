"""The log's batched writes: queued while a grid runs, committed many to a transaction.

A conversation writes to its log at once, one transaction a write. A grid of 1,000 cells makes
about 4,000 such writes on its event loop, and their commits cost as much CPU as the rest of the
log's work. ``ConversationLog.deferred`` hands them instead to a ``BatchWriter``, which keeps
them in order and commits them together: on the caller's thread when ``INTERVAL`` has passed
since the last commit (or ``MAX_BATCH`` writes wait), else from a timer thread once the caller
goes quiet. The rows come out exactly as if written one by one, and another reader sees them
at most about ``INTERVAL`` later.

Why not a writer thread that does all the writing: the grid's event loop is CPU-bound, and a
second thread running Python code against it waits for the GIL at every switch (5 ms), so its
queue grew through a run and the wall time doubled. Committing on the caller's thread costs no
switch; the timer thread only acts when the caller is idle.

``flush()`` commits every queued write now; ``close()`` flushes and ends the timer. A write
that fails is reported once (a warning on the ``workbench`` logger) and dropped; the writes
around it are committed all the same. At the interpreter's exit a writer still open is
flushed, so that rows queued by a run that never finished are not lost.
"""

from __future__ import annotations

import atexit
import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager

__all__ = ["INTERVAL", "MAX_BATCH", "BatchWriter", "Job"]

log = logging.getLogger("workbench")
INTERVAL = 0.2
"""Seconds between commits at most while writes come in (and a reader's wait for a row)."""
MAX_BATCH = 512
"""Writes per transaction at most (about 128 grid cells)."""

Job = Callable[[sqlite3.Connection], None]
"""One write: the statements of one transaction of the unbatched log."""
Transaction = Callable[[], AbstractContextManager[sqlite3.Connection]]
"""Opens a transaction on the log's connection (under its lock), committed on exit."""

_OPEN: weakref.WeakSet[BatchWriter] = weakref.WeakSet()


class BatchWriter:
    """Queued writes, committed together, in order.

    Args:
        transaction: opens a transaction on the log's connection, committed (or rolled back
            on an error) when it closes.
        name: the timer thread's name.
    """

    def __init__(self, transaction: Transaction, name: str = "workbench-log") -> None:
        self._transaction = transaction
        self._mutex = threading.Lock()  # the queue, and one commit at a time (keeps the order)
        self._pending: list[Job] = []
        self._last = time.monotonic()
        self._warned = False
        self._stop = threading.Event()
        self._timer = threading.Thread(target=self._tick, name=name, daemon=True)
        self._timer.start()
        _OPEN.add(self)

    def submit(self, job: Job) -> None:
        """Queue ``job`` after the others; commit the queue if it is due."""
        with self._mutex:
            self._pending.append(job)
            due = len(self._pending) >= MAX_BATCH or time.monotonic() - self._last >= INTERVAL
        if due:
            self.flush()

    def flush(self) -> None:
        """Commit every queued write now (reporting any that fails)."""
        with self._mutex:
            jobs, self._pending = self._pending, []
            self._last = time.monotonic()
            if jobs:
                self._commit(jobs)

    def close(self) -> None:
        """Stop the timer and flush."""
        self._stop.set()
        if self._timer is not threading.current_thread():
            self._timer.join()
        self.flush()
        _OPEN.discard(self)

    def _tick(self) -> None:
        """Commit what waits once the caller has been quiet for ``INTERVAL``."""
        while not self._stop.wait(INTERVAL):
            if self._pending and time.monotonic() - self._last >= INTERVAL:
                self.flush()

    def _commit(self, jobs: list[Job]) -> None:
        """The jobs in one transaction; if one fails, each again in its own, so that only the
        failing one is lost."""
        try:
            with self._transaction() as conn:
                for job in jobs:
                    job(conn)
            return
        except Exception:
            if len(jobs) == 1:
                self._report()
                return
        for job in jobs:
            try:
                with self._transaction() as conn:
                    job(conn)
            except Exception:
                self._report()

    def _report(self) -> None:
        if not self._warned:
            self._warned = True
            log.warning(
                "workbench: a write to the conversation log failed and was dropped",
                exc_info=True,
            )


@atexit.register
def _flush_at_exit() -> None:
    """Flush the writers still open when the interpreter exits (the timer dies with it)."""
    for writer in list(_OPEN):
        writer.close()
