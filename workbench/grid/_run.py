"""One run of a grid's cells: concurrent through one client, under the adaptive limit and the
budget; each cell a ``Conversation`` sent once (its tools run), then scored and graded (its
judges' requests through the same client, limit and budget)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .._exceptions import RateLimitError
from ..client._retries import retry_after as parse
from ..conversation import Conversation
from ..conversation._conversation_base import open_log
from ..conversation._history import CUT_SHORT, Message
from ..conversation._log import ConversationLog
from ..evals import Grade, Grader, GradingContext
from ._cells import ANSWERED, CUT_BY, Cell
from ._estimate import Budget, BudgetExceeded
from ._fill import fill_cell, turn_of
from ._graders import grade_cell
from ._grid_events import CellDelta, CellFinished, CellStarted
from ._heap import set_aside
from ._judge import CellJudge
from ._limiter import AdaptiveLimiter
from ._score import prepare_scorers, score_cell
from ._sender import Sender, open_sender

if TYPE_CHECKING:
    from pathlib import Path

    from ..client._chat_client import AsyncStreamingChatClient, StreamingChatClient
    from ._grid import Grid
    from ._spec import GridSpec

__all__ = ["Runner", "cell_conversation", "graded", "needs_scoring"]

_NOT_GRADED = "cancelled before it was graded (the reply is whole)"


def graded(cell: Cell, name: str) -> bool:
    """Whether ``cell`` has grader ``name``'s grade (a cancel leaves a failed one to redo)."""
    grade = cell.grades.get(name)
    return grade is not None and grade.error != _NOT_GRADED


def needs_scoring(cell: Cell, spec: GridSpec) -> bool:
    """Whether an answered cell lacks a score or a grade: a cancel cut its scoring short, and
    the next run scores it without sending it again."""
    if cell.status not in ANSWERED:
        return False
    return any(name not in cell.scores for name in spec.scorers) or any(
        not graded(cell, grader.name) for grader in spec.graders
    )


class Runner:
    """Runs ``cells`` of ``grid`` once; ``cancel()`` (on the runner's loop) stops it, keeping
    the cells that finished.

    Every cell left pending at the end (cancelled, or past the budget) gets its final status
    and a ``CellFinished`` event.
    """

    def __init__(self, grid: Grid, cells: list[Cell]) -> None:
        self.grid = grid
        self.cells = cells
        self.limiter = AdaptiveLimiter(grid.concurrency)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.cancelled = False
        self._spec = grid._spec
        self._scorers = prepare_scorers(self._spec.scorers)
        self._version = grid.version  # hashed once, before the first cell
        self._workers: list[asyncio.Task[None]] = []
        self._finished: set[int] = set()  # the cells that had their CellFinished (by id)
        self._budget: Budget | None = None
        # One log for the run, its writes committed in batches while it runs (see ``run``).
        self._db = open_log(grid._log, grid.client)

    def cancel(self) -> None:
        """Stop: running cells end as ``cancelled`` (their partial text kept), pending ones too.
        Call on the runner's loop (``Grid.cancel`` does, from any thread)."""
        self.cancelled = True
        for worker in self._workers:
            worker.cancel()

    async def run(self) -> None:
        """Send every cell; returns when all have a final status."""
        with self.grid._lock:  # see Grid.cancel: a cancel before this point is not lost
            self.loop = asyncio.get_running_loop()
            if self.grid._cancel_requested:
                self.cancelled = True
        sender = open_sender(self.grid.client, self.grid.concurrency)
        budget = self._budget = Budget(self.grid.max_cost_usd, self._spec, sender.base_url)
        running = {id(cell) for cell in self.cells}
        for cell in self.grid.cells:  # a resumed run counts what the grid already spent
            if cell.status in ANSWERED and id(cell) not in running:
                budget.settle(cell, (0.0, 0.0))
        queue = iter(self.cells)
        deferred = self._db.deferred() if self._db is not None else contextlib.nullcontext()
        try:
            # The collector skips the heap alive before the run (``_heap``: its full passes
            # walked all of it, on this loop); the rows written are committed on the way out.
            with set_aside(), deferred:
                await self._run_workers(queue, sender)
        finally:
            await sender.aclose()
            self._settle_leftovers()
            if self._db is not None:
                self._db.close()  # the cells' conversations reopen it on their next write

    async def _run_workers(self, queue: Iterator[Cell], sender: Sender) -> None:
        if not self.cancelled:
            count = min(self.grid.concurrency, len(self.cells))
            self._workers = [asyncio.create_task(self._worker(queue, sender)) for _ in range(count)]
            try:
                await asyncio.gather(*self._workers)
            except BaseException:
                for worker in self._workers:  # a failing worker must not leave others behind
                    worker.cancel()
                await asyncio.gather(*self._workers, return_exceptions=True)
                raise

    async def _worker(self, queue: Iterator[Cell], sender: Sender) -> None:
        for cell in queue:  # one iterator shared by the workers: each cell is taken once
            if self.cancelled or (self._budget is not None and self._budget.stopped):
                return
            await self._run_cell(cell, sender)

    async def _run_cell(self, cell: Cell, sender: Sender) -> None:
        assert self._budget is not None
        reserved = (0.0, 0.0)
        # A cell answered in an earlier run (a cancel cut its scoring short) is only scored.
        answered = regrade = cell.status in ANSWERED
        outcome: BaseException | None = None
        try:
            while not regrade:
                taken_in = await self.limiter.acquire()
                try:
                    try:
                        reserved = self._budget.reserve(cell)
                    except BudgetExceeded as exc:
                        self._finish(cell, "skipped", str(exc))
                        return
                    outcome = await self._attempt(cell, sender)
                finally:
                    self.limiter.release()
                if not isinstance(outcome, RateLimitError):
                    break
                self._budget.settle(cell, reserved)
                reserved = (0.0, 0.0)
                self.limiter.rate_limited(taken_in, _retry_after(outcome))
                if cell.attempts > self.grid.rate_limit_retries:
                    cell.status = "error"
                    cell.error = f"{type(outcome).__name__}: {outcome}"
                    break
            if outcome is None and not regrade:
                self.limiter.succeeded()
            answered = cell.status not in ("error", "incomplete")
            scorers = [s for s in self._scorers if s.name not in cell.scores]
            if answered and scorers:
                await score_cell(cell, scorers, self._spec.structured(cell))
            graders = [g for g in self._spec.graders if not graded(cell, g.name)]
            if answered and graders:
                await self._grade(cell, sender, reserved[1], tuple(graders))
            self._budget.settle(cell, reserved)
            ended = cell.status if cell.status in ("error", "incomplete", "cut") else "done"
            self._finish(cell, ended, cell.error)
        except asyncio.CancelledError:
            self._budget.settle(cell, reserved)
            if answered:  # the reply is whole: only its scoring or grading was cut short
                for grader in self._spec.graders:
                    cell.grades.setdefault(grader.name, Grade.failed(_NOT_GRADED))
                self._finish(cell, "cut" if cell.status == "cut" else "done", cell.error)
            else:
                sent = cell.attempts > 0
                why = "cancelled" if sent else "cancelled before it was sent"
                self._finish(cell, "cancelled", why)
            if not self.cancelled:  # the caller's task was cancelled, not the grid: pass it on
                raise

    async def _grade(
        self, cell: Cell, sender: Sender, reserved: float, graders: tuple[Grader, ...]
    ) -> None:
        """Grade an answered cell with ``graders``; its judges ask through the run's client,
        under its limit and within the ``reserved`` dollars (or what the budget has left)."""
        assert self._budget is not None
        retries = self.grid.rate_limit_retries
        judge = CellJudge(sender, self.limiter, self._budget, reserved, retries)
        context = GradingContext(judge, self._spec.judge_repeats, judge.embed)
        try:
            await grade_cell(cell, graders, context, self._spec.structured(cell))
        finally:
            judge.release()  # the cell settles right after, for what its judges cost
            if judge.calls - judge.unpriced > 0:  # added to an earlier run's, when regraded
                cell.judge_cost_usd = (cell.judge_cost_usd or 0.0) + judge.cost_usd

    async def _attempt(self, cell: Cell, sender: Sender) -> BaseException | None:
        """Send ``cell`` once. Returns None when it went through, the ``RateLimitError`` to
        retry after, or another error (recorded in the cell)."""
        client = sender.for_repeat(cell.repeat) if self._spec.repeats > 1 else sender.client
        chat = cell_conversation(self._spec, cell, client, self._db or False, version=self._version)
        cell.conversation = chat
        cell.status = "running"
        cell.error = None
        cell.output = ""
        cell.attempts += 1
        self.grid._emit(CellStarted(cell))
        unsubscribe = chat.subscribe(self._forward(cell))
        row = self._spec.rows[cell.row]
        started = time.perf_counter()
        try:
            reply = await chat.asend(row.messages[-1].get("content") or "")
            if reply.status == "incomplete":  # came back whole but cut short (no finish_reason)
                cell.status = "incomplete"
                cell.error = reply.error
            elif reply.ending in CUT_SHORT:  # whole, but the server ended it early
                cell.status = "cut"
                cell.error = CUT_BY[reply.ending]
        except RateLimitError as exc:
            return exc
        except Exception as exc:
            cell.status = "error"
            cell.error = f"{type(exc).__name__}: {exc}"
            return exc
        finally:
            unsubscribe()
            cell.latency_s = time.perf_counter() - started
            fill_cell(cell, turn_of(chat), sender.base_url)
        return None

    def _forward(self, cell: Cell) -> Callable[[Any], None]:
        """An observer of the cell's conversation that streams its text into the cell."""
        grid = self.grid

        def on_event(event: Any) -> None:
            if event.type == "content.delta":
                cell.add_output(event.delta)
                if grid._observers:
                    grid._emit(CellDelta(cell, event.delta))

        return on_event

    def _finish(self, cell: Cell, status: Any, error: str | None) -> None:
        cell.status = status
        cell.error = error
        self._finished.add(id(cell))
        self.grid._emit(CellFinished(cell))

    def _settle_leftovers(self) -> None:
        stopped = self._budget.stopped if self._budget is not None else None
        for cell in self.cells:
            if cell.status in ANSWERED and id(cell) not in self._finished:
                # Answered before, its scoring never started (a cancel): it finishes as it
                # is, and the next run scores it.
                self._finish(cell, cell.status, cell.error)
            elif cell.status == "pending":
                if stopped is not None and not self.cancelled:
                    self._finish(cell, "skipped", stopped)
                else:
                    self._finish(cell, "cancelled", "cancelled before it was sent")


def cell_conversation(
    spec: GridSpec,
    cell: Cell,
    client: StreamingChatClient | AsyncStreamingChatClient,
    log: bool | str | Path | ConversationLog,
    *,
    with_prompt: bool = False,
    version: str | None = None,
) -> Conversation:
    """A new ``Conversation`` for ``cell``: its model, system prompt, tools and parameters, and
    the messages before its prompt (``with_prompt``: the prompt too); ``log`` as for
    ``Conversation``, or a ``ConversationLog`` shared by the cells of a run (one connection,
    its writes batched while the run has it ``deferred``).

    With ``log`` on, the log's ``meta`` of the conversation names the grid's ``version`` and
    the cell (``{"grid": {"version": ..., "cell": "p0-v0-s0-r0-model"}}``)."""

    row = spec.rows[cell.row]
    chat = Conversation(
        model=cell.model,
        api=cell.api,
        system=row.system,
        client=client,
        tools=spec.tools,
        log=False,
        **spec.params_for(cell),
    )
    if log is not False:  # attached after the grid's mark is set: one write of the settings
        chat._log_meta = {"grid": {"version": version, "cell": str(cell.key)}}
        if isinstance(log, ConversationLog):  # the run's: no connection of the cell's own
            log.add_secret(getattr(client, "api_key", None))
            chat._attach_log(log)
        else:
            chat._attach_log(open_log(log, client))
        if chat._log_writer is not None:
            chat._log_writer.save_conversation()
    for message in row.messages if with_prompt else row.messages[:-1]:
        chat.history.append(Message(**message))
    return chat


def _retry_after(error: RateLimitError) -> float | None:

    return parse(error.response.headers)
