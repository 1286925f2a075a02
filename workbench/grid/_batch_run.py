"""A grid run through the Batch API: pick up the batches the log holds for the grid, submit the
rest (upload, create), poll with backoff, and merge each finished batch into its cells.

Every step goes into the log (``_batch_log``) as soon as it is known, so a process killed at
any point loses nothing: the next ``run(batch=True)`` or ``resume()`` of the same grid version
on the same server finds the files and batches and submits nothing again for their cells.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from .._exceptions import WorkbenchError
from ..conversation._conversation_base import open_log
from ..conversation._log import ConversationLog
from ._batch import BATCH_URLS
from ._batch_log import TERMINAL, BatchLog, BatchRow, batch_log_path
from ._batch_merge import BatchFile, merge_batch
from ._batch_split import BatchPart, split_batches
from ._cells import ANSWERED, Cell
from ._grid_events import BatchProgress, CellFinished
from ._run import needs_scoring
from ._sender import open_sender

if TYPE_CHECKING:
    from ..local import BatchLimits
    from ._grid import Grid

__all__ = ["BatchCallError", "BatchRunner", "poll_delays", "server_of"]

log = logging.getLogger("workbench")

_MAX_POLL_FACTOR = 60  # the longest wait between two polls, in poll intervals


def poll_delays(first: float) -> Callable[[], float]:
    """The waits between polls: ``first``, doubling each time up to 60 times ``first``."""
    delay = first / 2

    def following() -> float:
        nonlocal delay
        delay = min(delay * 2, first * _MAX_POLL_FACTOR)
        return delay

    return following


class BatchCallError(WorkbenchError):
    """A files or batches call through another package's client failed: its error, with its
    HTTP status (``status_code``, None when no answer came)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.status_code: int | None = getattr(error, "status_code", None)


@dataclass
class _Job:
    """One batch of the run: a logged row to pick up, or a part to submit."""

    number: int
    held: dict[str, Cell]
    row: BatchRow | None = None
    part: BatchPart | None = None
    cancel_sent: bool = field(default=False)


class BatchRunner:
    """Runs ``cells`` of ``grid`` through the Batch API once; ``cancel()`` (on the runner's
    loop) cancels the batches, merging what they returned.

    Args:
        grid: the grid.
        cells: the cells to answer (fresh, pending).
        limits: how much one batch file may hold.
        poll_interval: the first wait between polls, in seconds (doubling up to 60 times it).
        submit: False (``resume()``): pick up logged batches only, submitting nothing new.
    """

    def __init__(
        self,
        grid: Grid,
        cells: list[Cell],
        *,
        limits: BatchLimits,
        poll_interval: float,
        submit: bool,
    ) -> None:
        self.grid = grid
        self.cells = cells
        self.limits = limits
        self.poll_interval = poll_interval
        self.submit = submit
        self.loop: asyncio.AbstractEventLoop | None = None
        self.cancelled = False
        self.problems: list[str] = []
        self.batch_ids: list[str] = []
        self._wake: asyncio.Event | None = None
        self._client: Any = None
        self._server = server_of(grid)
        # The cells' conversations go to the log too when the grid logs them (log=), as a
        # live run writes them; the batches always do (the same file: see batch_log_path).
        self._cells_db = open_log(grid._log, grid.client)
        self._db = self._cells_db or ConversationLog(batch_log_path(grid._log))
        self._db.add_secret(getattr(grid.client, "api_key", None))
        self._log = BatchLog(self._db)
        self._parts = 0

    def cancel(self) -> None:
        """Cancel the batches; call on the runner's loop (``Grid.cancel`` does)."""
        self.cancelled = True
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Pick up, submit, poll and merge; returns when every cell has its final status."""
        with self.grid._lock:  # see Grid.cancel: a cancel before this point is not lost
            self.loop = asyncio.get_running_loop()
            if self.grid._cancel_requested:
                self.cancelled = True
        self._wake = asyncio.Event()
        sender = open_sender(self.grid.client, 4)
        self._client = sender.client
        try:
            merged, pending = self._logged_jobs()
            await _all(self._job(job) for job in merged)
            before = len(merged) + len(pending)
            jobs = pending + (self._new_jobs(pending, before) if self.submit else [])
            self._parts = len(merged) + len(jobs)
            await _all(self._job(job) for job in jobs)
        finally:
            await sender.aclose()
            self._db.close()
            self._settle_leftovers()

    # -- planning ----------------------------------------------------------------------------

    def _wanted(self) -> dict[str, Cell]:
        return {str(c.key): c for c in self.cells if c.status not in ANSWERED}

    def _logged_jobs(self) -> tuple[list[_Job], list[_Job]]:
        """The logged batches holding cells this run wants: those already merged (read again:
        a new process lost what they answered) and those still to finish."""
        wanted = self._wanted()
        merged: list[_Job] = []
        pending: list[_Job] = []
        for row in self._log.rows(self.grid.requests_version, self._server):
            held = {cid: wanted[cid] for cid in row.custom_ids if cid in wanted}
            if held:
                jobs = merged if row.merged else pending
                jobs.append(_Job(len(merged) + len(pending) + 1, held, row=row))
        return merged, pending

    def _new_jobs(self, pending: list[_Job], before: int) -> list[_Job]:
        """Parts for the cells no logged batch answered or still holds (``pending``)."""
        held = {cid for job in pending if job.row is not None for cid in job.row.custom_ids}
        wanted = [c for cid, c in self._wanted().items() if cid not in held]
        parts = split_batches(self.grid, wanted, self.limits)
        by_id = {str(c.key): c for c in wanted}
        return [
            _Job(before + i, {cid: by_id[cid] for cid in part.custom_ids}, part=part)
            for i, part in enumerate(parts, 1)
        ]

    # -- one batch ---------------------------------------------------------------------------

    async def _job(self, job: _Job) -> None:
        try:
            if job.row is None or job.row.batch_id is None:
                if not self.cancelled:
                    await self._submit(job)
                if job.row is None or job.row.batch_id is None:  # cancelled before its create
                    self._settle(job, "cancelled", "cancelled before it was sent")
                    return
            await self._finish(job)
        except (WorkbenchError, OSError) as exc:
            # The run goes on for the other batches; these cells say what failed.
            self.problems.append(f"batch {job.number}: {type(exc).__name__}: {exc}")
            self._settle(job, "error", f"batch: {type(exc).__name__}: {exc}")

    async def _submit(self, job: _Job) -> None:
        """Upload the part (unless the log has its file) and create its batch, logging each."""
        if job.row is None:
            part = job.part
            assert part is not None
            job.row = self._log.uploaded(
                self.grid.requests_version, self._server, part.endpoint, part.model, job.number,
                list(part.custom_ids), await self._upload(job, part),
            )  # fmt: skip
            if self.cancelled:  # the file stays logged: the next run creates its batch
                return
        row = job.row
        try:
            batch = await self._create(row)
        except WorkbenchError as exc:
            if getattr(exc, "status_code", None) != 404 or job.part is not None:
                raise
            # The logged file is gone from the server: upload the same lines again.
            part = self._part_of(row)
            self._log.update(row, input_file_id=await self._upload(job, part))
            batch = await self._create(row)
        self._log.update(row, batch_id=batch.id, status=batch.status, request_counts=_counts(batch))
        self._progress(job, batch)

    async def _upload(self, job: _Job, part: BatchPart) -> str:
        self._progress(job, None, "uploading")
        name = f"workbench-grid-{self.grid.requests_version}-{job.number}.jsonl"
        uploaded = await self._call("files", "create", file=(name, part.data), purpose="batch")
        return str(uploaded.id)

    async def _create(self, row: BatchRow) -> Any:
        return await self._call(
            "batches",
            "create",
            completion_window="24h",
            endpoint=BATCH_URLS.get(row.endpoint, row.endpoint),
            input_file_id=row.input_file_id,
            metadata={
                "workbench_grid": self.grid.requests_version,
                "workbench_part": str(row.part),
            },
        )

    def _part_of(self, row: BatchRow) -> BatchPart:
        """The input file a logged row stands for, built again from the grid's cells."""
        by_id = {str(c.key): c for c in self.grid.cells}
        cells = [by_id[cid] for cid in row.custom_ids if cid in by_id]
        from ..local import BatchLimits  # the local model's package: loaded when needed

        whole = BatchLimits(max_requests=max(1, len(cells)), max_bytes=2**62)
        (part,) = split_batches(self.grid, cells, whole)
        return part

    async def _finish(self, job: _Job) -> None:
        """Poll the job's batch to its end, then download its files and merge them."""
        row = job.row
        assert row is not None and row.batch_id is not None
        self.batch_ids.append(row.batch_id)
        batch = await self._retrieve(row.batch_id)
        was_merged = row.merged
        if not was_merged:
            batch = await self._poll(job, batch)
        files = await self._download(batch)
        held = {cid: c for cid, c in job.held.items() if c.status not in ANSWERED}
        merged = merge_batch(self.grid, batch, held, files, row.custom_ids, self._cells_db)
        self.problems.extend(merged)
        self._log.update(
            row,
            status=batch.status,
            request_counts=_counts(batch),
            output_file_id=getattr(batch, "output_file_id", None),
            error_file_id=getattr(batch, "error_file_id", None),
            merged=True,
        )
        again = was_merged and self.submit  # its unanswered cells are submitted anew
        for cell in held.values():
            if again and cell.status not in ANSWERED:
                _reset(cell)
            elif not needs_scoring(cell, self.grid._spec):
                self.grid._emit(CellFinished(cell))
        self._progress(job, batch, "merged")

    async def _poll(self, job: _Job, batch: Any) -> Any:
        assert job.row is not None
        delays = poll_delays(self.poll_interval)
        while batch.status not in TERMINAL:
            if self.cancelled and not job.cancel_sent:
                job.cancel_sent = True
                batch = await self._call("batches", "cancel", batch.id)
                delays = poll_delays(self.poll_interval)
            else:
                await self._sleep(delays())
                if self.cancelled and not job.cancel_sent:
                    continue  # cancel first: a retrieve could see it run further
                batch = await self._retrieve(batch.id, delays)
            if batch.status != job.row.status or _counts(batch) != job.row.request_counts:
                self._log.update(job.row, status=batch.status, request_counts=_counts(batch))
            self._progress(job, batch)
        return batch

    async def _retrieve(self, batch_id: str, delays: Callable[[], float] | None = None) -> Any:
        """The batch as the server has it now; a failure that may pass with time (a blip in
        a day-long wait) is logged and tried again after the next of ``delays``."""
        delays = delays or poll_delays(self.poll_interval)
        while True:
            try:
                return await self._call("batches", "retrieve", batch_id)
            except (WorkbenchError, OSError) as exc:
                if getattr(exc, "status_code", None) == 404:
                    return _lost(batch_id, str(exc))
                if not _passing(exc):
                    raise
                log.warning("workbench: polling batch %s failed: %s", batch_id, exc)
            await self._sleep(delays())

    async def _download(self, batch: Any) -> list[BatchFile]:
        files: list[BatchFile] = []
        output = getattr(batch, "output_file_id", None)
        counts = _counts(batch) or {}
        if output is None and batch.status == "completed" and counts.get("completed"):
            files.append(BatchFile("(output)", None, "the completed batch names no output file"))
        for file_id in (output, getattr(batch, "error_file_id", None)):
            if file_id is None:
                continue
            try:
                content = await self._call("files", "content", file_id)
                files.append(BatchFile(file_id, _text(content)))
            except (WorkbenchError, OSError) as exc:
                files.append(BatchFile(file_id, None, f"{type(exc).__name__}: {exc}"))
        return files

    # -- helpers -----------------------------------------------------------------------------

    async def _call(self, resource: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``client.<resource>.<method>``: awaited on an async client, in a worker thread
        on a sync one (the loop stays free for a cancel). Another package's API errors (an
        ``openai`` client's) come out as ``BatchCallError``."""
        function = getattr(getattr(self._client, resource), method)
        try:
            if inspect.iscoroutinefunction(function):
                return await function(*args, **kwargs)
            result = await asyncio.to_thread(functools.partial(function, *args, **kwargs))
            return await result if inspect.isawaitable(result) else result
        except (WorkbenchError, OSError):
            raise
        except Exception as exc:
            if not any(kind.__name__ == "APIError" for kind in type(exc).__mro__):
                raise
            raise BatchCallError(exc) from exc

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less when a cancel arrives (once: after it, the full wait)."""
        assert self._wake is not None
        if self.cancelled:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _progress(self, job: _Job, batch: Any, status: str | None = None) -> None:
        counts = _counts(batch) or {}
        self.grid._emit(
            BatchProgress(
                batch_id=getattr(batch, "id", None),
                part=job.number,
                parts=max(self._parts, job.number),
                status=status or str(getattr(batch, "status", "unknown")),
                completed=int(counts.get("completed", 0)),
                failed=int(counts.get("failed", 0)),
                total=int(counts.get("total", 0)) or len(job.held),
            )
        )

    def _settle(self, job: _Job, status: Any, error: str) -> None:
        for cell in job.held.values():
            if cell.status not in ANSWERED:
                cell.status = status
                cell.error = error
                self.grid._emit(CellFinished(cell))

    def _settle_leftovers(self) -> None:
        for cell in self.cells:
            if cell.status == "pending":
                if self.submit:
                    cell.status, cell.error = "cancelled", "cancelled before it was sent"
                else:
                    cell.status = "skipped"
                    cell.error = "skipped: resume() submits nothing, and no logged batch holds it"
                self.grid._emit(CellFinished(cell))


async def _all(jobs: Iterable[Awaitable[None]]) -> None:
    """Run ``jobs`` at once; if one fails, the others are cancelled (and awaited) before the
    error goes on, so that none keeps polling after the run."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _passing(error: BaseException) -> bool:
    """Whether a failed poll may pass with time: no answer, a timeout, a conflict, a rate
    limit or a server error, rather than a refusal that will not change (a 401, a 400)."""
    status = getattr(error, "status_code", None)
    return status is None or status in (408, 409, 429) or status >= 500


def _reset(cell: Cell) -> None:
    """Make ``cell`` pending again, in place (the run's jobs hold it)."""
    fresh = cell.fresh()
    for name in (f.name for f in dataclasses.fields(Cell)):
        setattr(cell, name, getattr(fresh, name))


def server_of(grid: Grid) -> str:
    """The server a grid's batches are logged under: its base URL (never a key); on the
    in-process local model, that model (``LocalModel.instance``): its batches end with it, so
    a new process must not look for them."""
    base = grid._base_url or type(grid.client).__name__
    instance = getattr(getattr(grid.client, "local_model", None), "instance", None)
    return f"{base}#{instance}" if isinstance(instance, str) else base


def _counts(batch: Any) -> dict[str, int] | None:
    counts = getattr(batch, "request_counts", None)
    if counts is None:
        return None
    return {k: int(getattr(counts, k, 0) or 0) for k in ("total", "completed", "failed")}


def _text(content: Any) -> str:
    text = getattr(content, "text", None)
    if isinstance(text, str):
        return text
    data = getattr(content, "content", content)
    return data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else str(data)


def _lost(batch_id: str, why: str) -> Any:
    """A stand-in for a batch the server no longer knows: failed, saying so."""
    error = SimpleNamespace(code="batch_not_found", line=None, message=why)
    return SimpleNamespace(
        id=batch_id,
        status="failed",
        errors=SimpleNamespace(data=[error]),
        output_file_id=None,
        error_file_id=None,
        request_counts=None,
    )
