"""A grid run through the Batch API: pick up the batches the log holds for the grid, submit the
rest (upload, create), poll with backoff, and merge each finished batch into its cells.

Every step goes into the log (``_batch_log``) as soon as it is known, so a process killed at
any point loses nothing: the next ``run(batch=True)`` or ``resume()`` of the same grid version
on the same server finds the files and batches and submits nothing again for their cells.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._exceptions import WorkbenchError
from ..conversation._conversation_base import open_log
from ..conversation._log import ConversationLog
from ._batch import BATCH_URLS
from ._batch_calls import (
    call_resource,
    counts_of,
    download_files,
    find_batch,
    gather_all,
    missing_batch,
    passing,
    poll_delays,
    without_retries,
)
from ._batch_log import LOST, TERMINAL, BatchLog, BatchRow, batch_log_path
from ._batch_merge import merge_batch
from ._batch_split import BatchPart, part_of, split_batches
from ._cells import ANSWERED, Cell, reset_cell
from ._grid_events import BatchProgress, CellFinished
from ._run import needs_scoring
from ._sender import open_sender

if TYPE_CHECKING:
    from ..local import BatchLimits
    from ._grid import Grid

__all__ = ["BatchRunner", "server_of"]

log = logging.getLogger("workbench")

_CREATE_TRIES = 3  # a batch create failing in a way that may pass: sent this many times in all
_CLAIM_LEASE = 900.0  # seconds after which a claim without a batch is another run's to take


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
        self._client_once: Any = None  # the same, never retrying a request on its own
        self._claims: set[int] = set()  # the log rows this run claimed (see BatchLog.claim)
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
        self._client_once = without_retries(sender.client)
        try:
            first, pending = self._logged_jobs()
            await gather_all(self._job(job) for job in first)
            before = len(first) + len(pending)
            jobs = pending + (self._new_jobs(pending, before) if self.submit else [])
            self._parts = len(first) + len(jobs)
            await gather_all(self._job(job) for job in jobs)
        finally:
            await sender.aclose()
            self._db.close()
            self._settle_leftovers()

    # -- planning ----------------------------------------------------------------------------

    def _wanted(self) -> dict[str, Cell]:
        return {str(c.key): c for c in self.cells if c.status not in ANSWERED}

    def _logged_jobs(self) -> tuple[list[_Job], list[_Job]]:
        """The logged batches holding cells this run wants: first those already merged (read
        again: a new process lost what they answered) or lost (the server did not find them),
        whose cells may be sent anew, then those still to finish."""
        wanted = self._wanted()
        first: list[_Job] = []
        pending: list[_Job] = []
        for row in self._log.rows(self.grid.requests_version, self._server):
            held = {cid: wanted[cid] for cid in row.custom_ids if cid in wanted}
            if held:
                jobs = first if row.merged or row.status == LOST else pending
                jobs.append(_Job(len(first) + len(pending) + 1, held, row=row))
        return first, pending

    def _new_jobs(self, pending: list[_Job], before: int) -> list[_Job]:
        """Parts for the cells no logged batch answered or still holds (``pending``); a cell
        a batch read back settled (an unreadable file, a lost batch) is not sent again."""
        held = {cid for job in pending if job.row is not None for cid in job.row.custom_ids}
        wanted = [
            c for cid, c in self._wanted().items() if cid not in held and c.status == "pending"
        ]
        parts = split_batches(self.grid, wanted, self.limits)
        by_id = {str(c.key): c for c in wanted}
        return [
            _Job(before + i, {cid: by_id[cid] for cid in part.custom_ids}, part=part)
            for i, part in enumerate(parts, 1)
        ]

    # -- one batch ---------------------------------------------------------------------------

    async def _job(self, job: _Job) -> None:
        try:
            if job.row is None and not self.cancelled:
                await self._claim(job)
            elif job.row is not None and job.row.batch_id is None:
                await self._own(job)
            if job.row is None or job.row.batch_id is None:  # cancelled before its create
                self._release(job)
                self._settle(job, "cancelled", "cancelled before it was sent")
                return
            await self._finish(job)
        except BaseException as exc:
            self._release(job)
            if not isinstance(exc, (WorkbenchError, OSError)):
                raise  # a cancelled task (a kernel interrupt), say: the claim is released
            # The run goes on for the other batches; these cells say what failed.
            self.problems.append(f"batch {job.number}: {type(exc).__name__}: {exc}")
            self._settle(job, "error", f"batch: {type(exc).__name__}: {exc}")

    async def _claim(self, job: _Job) -> None:
        """Claim the part's cells in the log, then submit them; cells another run claimed
        first are followed in its rows instead (one batch for them, whoever submits it)."""
        part = job.part
        assert part is not None
        claimed = self._log.claim(
            self.grid.requests_version, self._server, part.endpoint, part.model, job.number,
            list(part.custom_ids),
        )  # fmt: skip
        if isinstance(claimed, BatchRow):
            job.row = claimed
            self._claims.add(claimed.id)
            await self._submit(job)
            return
        # Another run holds them: this job's cells go to jobs following its rows (any cell
        # those do not hold stays pending, to be sent by a later run).
        followers = []
        for row in claimed:
            held = {cid: job.held[cid] for cid in row.custom_ids if cid in job.held}
            followers.append(_Job(job.number, held, row=row))
        job.held = {}
        await gather_all(self._job(follower) for follower in followers)

    async def _own(self, job: _Job) -> None:
        """Wait for a logged row without a batch: until its batch is created (by the run that
        claimed it), or until it is this run's to submit (released, or its claim too old)."""
        row = job.row
        assert row is not None
        delays = poll_delays(self.poll_interval)
        while not self.cancelled:
            if self._log.take(row, _CLAIM_LEASE):
                self._claims.add(row.id)
                await self._submit(job)
                return
            if row.batch_id is not None or row.merged:
                return
            self._progress(job, None, "waiting")  # for another run submitting these cells
            await self._sleep(delays())

    def _release(self, job: _Job) -> None:
        """Let a later run submit a row this run claimed and could not create the batch of."""
        row = job.row
        if row is not None and row.batch_id is None and row.id in self._claims:
            with contextlib.suppress(OSError, sqlite3.Error):
                self._log.update(row, status=None)

    async def _submit(self, job: _Job) -> None:
        """Upload the part (unless the log has its file) and create its batch, logging each."""
        row = job.row
        assert row is not None
        if row.input_file_id is None:
            part = job.part or part_of(self.grid, row.custom_ids)
            self._log.update(row, input_file_id=await self._upload(job, part))
            if self.cancelled:  # the file stays logged: the next run creates its batch
                return
        # A row an earlier run logged may have its batch already, the id lost (the process
        # died before logging it, or the create's answer never came): adopted, not made twice.
        batch = await self._find(row) if job.part is None else None
        if batch is None:
            batch = await self._create_from_file(job, row)
        counts = counts_of(batch)
        self._log.update(row, batch_id=batch.id, status=batch.status, request_counts=counts)
        self._progress(job, batch)

    async def _create_from_file(self, job: _Job, row: BatchRow) -> Any:
        try:
            return await self._create(row)
        except WorkbenchError as exc:
            if getattr(exc, "status_code", None) != 404 or job.part is not None:
                raise
        # The logged file is gone from the server: upload the same lines again.
        part = part_of(self.grid, row.custom_ids)
        self._log.update(row, input_file_id=await self._upload(job, part))
        return await self._create(row)

    async def _upload(self, job: _Job, part: BatchPart) -> str:
        self._progress(job, None, "uploading")
        name = f"workbench-grid-{self.grid.requests_version}-{job.number}.jsonl"
        uploaded = await self._call("files", "create", file=(name, part.data), purpose="batch")
        return str(uploaded.id)

    async def _create(self, row: BatchRow) -> Any:
        """Create the row's batch, each request sent once (the client's own retries are off):
        after a failure that may pass, the batch may exist with its answer lost, so it is
        looked up by its input file and created again only when it is not there."""
        delays = poll_delays(self.poll_interval)
        metadata = {"workbench_grid": self.grid.requests_version, "workbench_part": str(row.part)}
        for tries in range(1, _CREATE_TRIES + 1):
            try:
                return await call_resource(
                    self._client_once,
                    "batches",
                    "create",
                    completion_window="24h",
                    endpoint=BATCH_URLS.get(row.endpoint, row.endpoint),
                    input_file_id=row.input_file_id,
                    metadata=metadata,
                )
            except (WorkbenchError, OSError) as exc:
                if not passing(exc):
                    raise
                found = await self._find(row)
                if found is not None:
                    return found
                if tries == _CREATE_TRIES:
                    raise
                log.warning("workbench: creating a batch of %s failed: %s", row.input_file_id, exc)
            await self._sleep(delays())
        raise AssertionError("unreachable")

    async def _find(self, row: BatchRow) -> Any | None:
        """The batch made from the row's input file, if the server lists one (None when the
        list cannot be read: then the batch is created)."""
        assert row.input_file_id is not None
        try:
            return await find_batch(self._client, row.input_file_id)
        except (WorkbenchError, OSError) as exc:
            log.warning("workbench: listing batches failed: %s", exc)
            return None

    async def _finish(self, job: _Job) -> None:
        """Poll the job's batch to its end, then download its files and merge them."""
        row = job.row
        assert row is not None and row.batch_id is not None
        self.batch_ids.append(row.batch_id)
        batch = await self._retrieve(row.batch_id)
        # A merged batch is read back; one still running (a row merged by an older version,
        # say) is polled like any other.
        read_back = row.merged and batch.status in TERMINAL
        if batch.status not in TERMINAL and not getattr(batch, "lost", False):
            batch = await self._poll(job, batch)
        if getattr(batch, "lost", False):
            self._lost(job, batch)
            return
        files = await download_files(self._client, batch, self._sleep, self.poll_interval)
        held = {cid: c for cid, c in job.held.items() if c.status not in ANSWERED}
        # Read back, a merged batch's conversations are in the log already: not written twice.
        cells_log = None if read_back else self._cells_db
        merged = merge_batch(self.grid, batch, held, files, row.custom_ids, cells_log)
        self.problems.extend(merged)
        self._log.update(
            row,
            status=batch.status,
            request_counts=counts_of(batch),
            output_file_id=getattr(batch, "output_file_id", None),
            error_file_id=getattr(batch, "error_file_id", None),
            merged=True,
        )
        unreadable = [f for f in files if f.text is None]
        names = ", ".join(f.file_id for f in unreadable)
        # A file the server has no more (a 404 or 410: deleted, expired) never comes back: read
        # back, the batch is given up (status lost) and its unanswered cells sent anew.
        gone = bool(unreadable) and all(f.gone for f in unreadable)
        if unreadable and not (gone and read_back and self.submit):
            then = "a later run sends them anew" if gone else "a later run reads it"
            self.problems.append(
                f"batch {batch.id}: its file {names} could not be read: its cells are errors"
                f" until {then}"
            )
        # The cells a batch read back left unanswered (expired, failed, a file gone) are
        # submitted anew (said once: not those a newer row holds, sent anew by a run before);
        # not those a file that may come back leaves without an answer.
        again = [c for c in held.values() if c.status not in ANSWERED]
        if read_back and self.submit and again and (gone or not unreadable):
            rows = self._log.rows(self.grid.requests_version, self._server)
            newer = {cid for later in rows if later.id > row.id for cid in later.custom_ids}
            if anew := [c for c in again if str(c.key) not in newer]:
                why = f"its file {names} is gone:" if gone else f"({batch.status})"
                self.problems.append(
                    f"batch {batch.id} {why} left {len(anew)} cell(s) unanswered: sent anew"
                )
            if gone:
                self._log.update(row, status=LOST)
            for cell in again:
                reset_cell(cell)
        for cell in held.values():
            if cell.status != "pending" and not needs_scoring(cell, self.grid._spec):
                self.grid._emit(CellFinished(cell))
        self._progress(job, batch, "merged")

    def _lost(self, job: _Job, batch: Any) -> None:
        """The server does not know the job's batch (a 404): another account behind the same
        URL, or a server that forgot it. The row is kept, ``lost``, for a run that finds it
        again, and its cells fail; lost on an earlier run too (or merged before), the row is
        given up and a run that submits sends its cells anew, saying so."""
        row = job.row
        assert row is not None
        left = [c for c in job.held.values() if c.status not in ANSWERED]
        if not left:
            return
        why = f"batch_not_found: batch {row.batch_id} is not on {self._server}"
        if self.submit and (row.merged or row.status == LOST):
            self._log.update(row, status=LOST, merged=True)
            self.problems.append(f"{why}, again: its {len(left)} unanswered cell(s) sent anew")
            for cell in left:
                reset_cell(cell)
            return
        self._log.update(row, status=LOST)
        self.problems.append(f"{why} ({batch.errors.data[0].message}): its log row is kept")
        self._settle(
            job,
            "error",
            f"{why}: the log keeps it for a later run, which merges it if the server finds it"
            " again, else sends the cell anew",
        )

    async def _poll(self, job: _Job, batch: Any) -> Any:
        assert job.row is not None
        delays = poll_delays(self.poll_interval)
        while batch.status not in TERMINAL:
            if self.cancelled and not job.cancel_sent:
                batch = await self._cancel(job, batch, delays)
                delays = poll_delays(self.poll_interval) if job.cancel_sent else delays
            else:
                await self._sleep(delays())
                if self.cancelled and not job.cancel_sent:
                    continue  # cancel first: a retrieve could see it run further
                batch = await self._retrieve(batch.id, delays)
            if getattr(batch, "lost", False):
                return batch
            if batch.status != job.row.status or counts_of(batch) != job.row.request_counts:
                self._log.update(job.row, status=batch.status, request_counts=counts_of(batch))
            self._progress(job, batch)
        return batch

    async def _cancel(self, job: _Job, batch: Any, delays: Callable[[], float]) -> Any:
        """Cancel ``batch``: settled (``job.cancel_sent``) once the server takes or refuses it
        (a 409 or 400: it finished meanwhile; or another refusal that will not change) or the
        batch is seen final or ``cancelling``; after a failure that may pass (no answer, a 429,
        a 5xx) it is sent again at the next poll (dropped, the batch would run on, billed)."""
        job.cancel_sent = True
        try:
            return await self._call("batches", "cancel", batch.id)
        except (WorkbenchError, OSError) as exc:
            job.cancel_sent = not passing(exc) or getattr(exc, "status_code", None) == 409
            then = "polled on" if job.cancel_sent else "sent again"
            log.warning("workbench: cancelling batch %s failed (%s): %s", batch.id, then, exc)
        if not job.cancel_sent:
            await self._sleep(delays())
        batch = await self._retrieve(batch.id, delays)
        job.cancel_sent = job.cancel_sent or batch.status in (*TERMINAL, "cancelling")
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
                    return missing_batch(batch_id, LOST, str(exc))
                if not passing(exc):
                    raise
                log.warning("workbench: polling batch %s failed: %s", batch_id, exc)
            await self._sleep(delays())

    # -- helpers -----------------------------------------------------------------------------

    async def _call(self, resource: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return await call_resource(self._client, resource, method, *args, **kwargs)

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds``, or less when a cancel arrives (once: after it, the full wait)."""
        assert self._wake is not None
        if self.cancelled:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    def _progress(self, job: _Job, batch: Any, status: str | None = None) -> None:
        counts = counts_of(batch) or {}
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


def server_of(grid: Grid) -> str:
    """The server a grid's batches are logged under: its base URL (never a key); on the
    in-process local model, that model (``LocalModel.instance``): its batches end with it, so
    a new process must not look for them."""
    base = grid._base_url or type(grid.client).__name__
    instance = getattr(getattr(grid.client, "local_model", None), "instance", None)
    return f"{base}#{instance}" if isinstance(instance, str) else base
