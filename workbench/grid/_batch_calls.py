"""The Batch API calls of a grid's batch run, on any client with ``files`` and ``batches``
resources (workbench's or ``openai``'s, sync or async): the call itself with another package's
errors translated, which failures may pass with time, the waits between polls, downloading a
batch's files, and finding a batch that was created but whose id never reached the log."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from types import SimpleNamespace
from typing import Any

from .._exceptions import WorkbenchError
from ._batch_merge import BatchFile

__all__ = ["BatchCallError", "call_resource", "counts_of", "download_files", "find_batch"]
__all__ += ["gather_all", "missing_batch", "passing", "poll_delays", "text_of", "without_retries"]

_MAX_POLL_FACTOR = 60  # the longest wait between two polls, in poll intervals
_LISTED = 100  # the newest batches searched for one created but not logged (one page)
_DOWNLOAD_TRIES = 5  # a file that may come back: fetched this many times before its cells fail

log = logging.getLogger("workbench")


class BatchCallError(WorkbenchError):
    """A files or batches call through another package's client failed: its error, with its
    HTTP status (``status_code``, None when no answer came)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.status_code: int | None = getattr(error, "status_code", None)


def poll_delays(first: float) -> Callable[[], float]:
    """The waits between polls: ``first``, doubling each time up to 60 times ``first``."""
    delay = first / 2

    def following() -> float:
        nonlocal delay
        delay = min(delay * 2, first * _MAX_POLL_FACTOR)
        return delay

    return following


async def call_resource(client: Any, resource: str, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``client.<resource>.<method>``: awaited on an async client, in a worker thread on a
    sync one (the loop stays free for a cancel). Another package's API errors (an ``openai``
    client's) come out as ``BatchCallError``."""
    function = getattr(getattr(client, resource), method)
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


def without_retries(client: Any) -> Any:
    """A copy of ``client`` that never sends a request twice on its own (``max_retries=0``):
    a ``batches.create`` whose answer is lost may have created the batch, so the run looks it
    up (``find_batch``) before creating again. A client without ``with_options`` is kept."""
    if getattr(type(client), "with_options", None) is None or not hasattr(client, "max_retries"):
        return client
    return client.with_options(max_retries=0)


async def find_batch(client: Any, input_file_id: str) -> Any | None:
    """The newest of the server's latest batches created from ``input_file_id``, or None."""
    page = await call_resource(client, "batches", "list", limit=_LISTED)
    for batch in getattr(page, "data", None) or ():
        if getattr(batch, "input_file_id", None) == input_file_id:
            return batch
    return None


async def gather_all(jobs: Iterable[Awaitable[None]]) -> None:
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


async def download_files(
    client: Any, batch: Any, sleep: Callable[[float], Awaitable[None]], first_wait: float
) -> list[BatchFile]:
    """A finished batch's output and error files; one that cannot be read is a ``BatchFile``
    without text, saying why (``gone`` when the server answered 404 or 410)."""
    files: list[BatchFile] = []
    output = getattr(batch, "output_file_id", None)
    counts = counts_of(batch) or {}
    if output is None and batch.status == "completed" and counts.get("completed"):
        files.append(BatchFile("(output)", None, "the completed batch names no output file"))
    for file_id in (output, getattr(batch, "error_file_id", None)):
        if file_id is None:
            continue
        try:
            files.append(BatchFile(file_id, await _content(client, file_id, sleep, first_wait)))
        except (WorkbenchError, OSError) as exc:
            gone = getattr(exc, "status_code", None) in (404, 410)
            files.append(BatchFile(file_id, None, f"{type(exc).__name__}: {exc}", gone))
    return files


async def _content(
    client: Any, file_id: str, sleep: Callable[[float], Awaitable[None]], first_wait: float
) -> str:
    """A file's text; a failure that may pass is logged and tried again after a wait (the
    polls' backoff), up to ``_DOWNLOAD_TRIES`` times in all."""
    delays = poll_delays(first_wait)
    for tries in range(1, _DOWNLOAD_TRIES + 1):
        try:
            return text_of(await call_resource(client, "files", "content", file_id))
        except (WorkbenchError, OSError) as exc:
            if tries == _DOWNLOAD_TRIES or not passing(exc):
                raise
            log.warning("workbench: downloading file %s failed: %s", file_id, exc)
        await sleep(delays())
    raise AssertionError("unreachable")


def passing(error: BaseException) -> bool:
    """Whether a failed call may pass with time: no answer, a timeout, a conflict, a rate
    limit or a server error, rather than a refusal that will not change (a 401, a 400)."""
    status = getattr(error, "status_code", None)
    return status is None or status in (408, 409, 429) or status >= 500


def counts_of(batch: Any) -> dict[str, int] | None:
    """A batch's request counts as a dict (None when it has none)."""
    counts = getattr(batch, "request_counts", None)
    if counts is None:
        return None
    return {k: int(getattr(counts, k, 0) or 0) for k in ("total", "completed", "failed")}


def text_of(content: Any) -> str:
    """The text of what ``files.content`` returned (a response, bytes or a string)."""
    text = getattr(content, "text", None)
    if isinstance(text, str):
        return text
    data = getattr(content, "content", content)
    return data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else str(data)


def missing_batch(batch_id: str, status: str, why: str) -> Any:
    """A stand-in for a batch the server does not know (``lost``, with ``status``), saying why."""
    error = SimpleNamespace(code="batch_not_found", line=None, message=why)
    return SimpleNamespace(
        id=batch_id,
        lost=True,
        status=status,
        errors=SimpleNamespace(data=[error]),
        output_file_id=None,
        error_file_id=None,
        request_counts=None,
    )
