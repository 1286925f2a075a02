"""The local model's batches: each one a state machine advanced lazily by a simulated clock.

A batch goes ``validating`` -> ``in_progress`` -> ``finalizing`` -> ``completed`` (or ``failed``
when its input file does not pass ``_batch_input``; ``expired`` when its completion window ends
first; ``cancelling`` -> ``cancelled`` on cancel), each step after the simulated seconds that
``BatchTiming`` gives it. Nothing runs in the background: every ``/files`` or ``/batches``
request first brings each batch up to the clock's present, answering the lines that are due by
then through the local model (``LocalBatch.advance``). That keeps the model free of threads to
start and stop (a batch costs nothing while nobody looks, and a test with a fake clock sees
exactly the state its clock names), and since a batch can only be seen through requests, a
client cannot tell it from one that ran in the background.

Answered lines go to the output file, lines the model refused (a 4xx) to the error file with
their status and error body, as the API writes them; lines a batch never ran (expired,
cancelled) go to the error file with the code ``batch_expired`` or ``batch_cancelled``.
``request_counts`` counts the lines answered (``completed``) and refused (``failed``).
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._batch_input import BatchLimits, BatchRequest, CheckedInput
from ._file_store import FileStore, new_id
from ._store import page
from ._variants import BatchVariants, Variants

__all__ = ["AnswerLine", "BatchStore", "BatchTiming", "LocalBatch"]

AnswerLine = Callable[[BatchRequest, "str | None", Variants], "tuple[int, dict[str, Any]]"]
"""How a batch has a line answered: (request, repeat number, variants) -> (status, JSON body)."""

_CELL_KEY = re.compile(r"^p\d+-v\d+-s\d+-r(\d+)-.")  # a grid cell's key (``CellKey``)
_NOT_RUN = {
    "batch_expired": "This request could not be executed before the completion window expired.",
    "batch_cancelled": "This request was not executed: the batch was cancelled.",
}


@dataclass(frozen=True)
class BatchTiming:
    """How long a local batch takes, in simulated seconds, and how fast simulated time runs.

    The defaults run 2,000 lines in about 4.5 s of wall time, with each status there to be seen
    by a client that polls; ``time_scale=1000`` with realistic durations (a minute of validating,
    seconds per request) gives the same in wall time. Timestamps in the bodies are simulated
    Unix times (ahead of the wall clock when ``time_scale`` > 1).

    Args:
        validating_seconds: from creation to ``in_progress`` (or ``failed``).
        seconds_per_request: each line's turn; 0 answers them all at once.
        finalizing_seconds: from the last line to ``completed``.
        cancelling_seconds: from a cancel to ``cancelled``.
        completion_window_seconds: from creation to ``expires_at`` (the API's 24 hours); a
            batch not done by then expires.
        time_scale: simulated seconds per second of ``clock``.
        clock: the wall time in Unix seconds (tests pass a fake).
    """

    validating_seconds: float = 0.25
    seconds_per_request: float = 0.002
    finalizing_seconds: float = 0.25
    cancelling_seconds: float = 0.25
    completion_window_seconds: float = 24 * 3600.0
    time_scale: float = 1.0
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        for name in (
            "validating_seconds",
            "seconds_per_request",
            "finalizing_seconds",
            "cancelling_seconds",
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number of seconds >= 0, not {value}")
        for name in ("completion_window_seconds", "time_scale"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a number > 0, not {value}")

    def simulated_clock(self) -> Callable[[], float]:
        """Simulated Unix time: ``clock`` from now on, ``time_scale`` times as fast."""
        origin = self.clock()
        return lambda: origin + (self.clock() - origin) * self.time_scale


@dataclass
class LocalBatch:
    """One batch: what it was asked, how far it has got, and its results so far."""

    id: str
    endpoint: str
    input_file_id: str
    metadata: dict[str, str] | None
    output_expires_after: int | None
    created: float
    timing: BatchTiming
    checked: CheckedInput
    status: str = "validating"
    times: dict[str, float] = field(default_factory=dict)
    output: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    completed: int = 0
    failed: int = 0
    usage: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("input", "cached", "output", "reasoning"), 0)
    )
    output_file_id: str | None = None
    error_file_id: str | None = None
    variants: BatchVariants = field(default_factory=BatchVariants)

    @property
    def expires_at(self) -> float:
        return self.created + self.timing.completion_window_seconds

    @property
    def done(self) -> int:
        """How many lines have been answered (or refused)."""
        return self.completed + self.failed

    def advance(self, now: float, answer: AnswerLine, files: FileStore) -> None:
        """Bring the batch up to ``now``: every step due by then, in order, each at its time."""
        timing = self.timing
        if self.status == "validating":
            ready = self.created + timing.validating_seconds
            if now >= self.expires_at and self.expires_at <= ready:
                self._end("expired", self.expires_at, files)
                return
            if now < ready:
                return
            if self.checked.errors:
                self.status, self.times["failed_at"] = "failed", ready
                return
            self.status, self.times["in_progress_at"] = "in_progress", ready
        if self.status == "in_progress":
            self._run_due(min(now, self.expires_at), answer)
            if self.done < len(self.checked.requests):
                if now >= self.expires_at:
                    self._end("expired", self.expires_at, files)
                return
            finished = self.times["in_progress_at"] + self.done * timing.seconds_per_request
            self.status, self.times["finalizing_at"] = "finalizing", finished
        if self.status == "finalizing":
            end = self.times["finalizing_at"] + timing.finalizing_seconds
            if now >= end:
                self._end("completed", end, files)
        elif self.status == "cancelling":
            end = self.times["cancelling_at"] + timing.cancelling_seconds
            if now >= end:
                self._end("cancelled", end, files)

    def cancel(self, now: float) -> bool:
        """Start cancelling (after ``advance`` to ``now``); False when the batch has ended."""
        if self.status == "cancelling":
            return True
        if self.status not in ("validating", "in_progress", "finalizing"):
            return False
        self.status, self.times["cancelling_at"] = "cancelling", now
        return True

    def _run_due(self, until: float, answer: AnswerLine) -> None:
        requests = self.checked.requests
        per = self.timing.seconds_per_request
        elapsed = until - self.times["in_progress_at"]
        due = len(requests) if per == 0 else min(len(requests), math.floor(elapsed / per + 1e-9))
        while self.done < due:
            request = requests[self.done]
            key = _CELL_KEY.match(request.custom_id)
            status, body = answer(request, key[1] if key else None, self.variants)
            line = {
                "id": new_id("batch_req_"),
                "custom_id": request.custom_id,
                "response": {"status_code": status, "request_id": new_id("req_"), "body": body},
                "error": None,
            }
            if 200 <= status < 300:
                self.completed += 1
                self.output.append(line)
                self._count_usage(body.get("usage"))
            else:
                self.failed += 1
                self.errors.append(line)

    def _count_usage(self, usage: object) -> None:
        if not isinstance(usage, Mapping):
            return
        prompt = usage.get("input_tokens", usage.get("prompt_tokens")) or 0
        completion = usage.get("output_tokens", usage.get("completion_tokens")) or 0
        into = usage.get("input_tokens_details") or usage.get("prompt_tokens_details") or {}
        out = usage.get("output_tokens_details") or usage.get("completion_tokens_details") or {}
        self.usage["input"] += int(prompt)
        self.usage["output"] += int(completion)
        self.usage["cached"] += int(into.get("cached_tokens") or 0)
        self.usage["reasoning"] += int(out.get("reasoning_tokens") or 0)

    def _end(self, status: str, at: float, files: FileStore) -> None:
        if status in ("expired", "cancelled"):
            code = f"batch_{status}"
            for request in self.checked.requests[self.done :]:
                self.errors.append(
                    {
                        "id": new_id("batch_req_"),
                        "custom_id": request.custom_id,
                        "response": None,
                        "error": {"code": code, "message": _NOT_RUN[code]},
                    }
                )
        for lines, kind in ((self.output, "output"), (self.errors, "error")):
            if lines:
                content = "".join(json.dumps(line) + "\n" for line in lines).encode()
                stored = files.add(
                    f"{self.id}_{kind}.jsonl",
                    "batch_output",
                    content,
                    expires_after=self.output_expires_after,
                    created_at=at,  # when the batch ended, not when a request came to see it
                )
                setattr(self, f"{kind}_file_id", stored.id)
        self.status, self.times[f"{status}_at"] = status, at  # last: the files are there

    def to_object(self) -> dict[str, Any]:
        """The ``batch`` object the API answers with."""

        def at(name: str) -> int | None:
            value = self.times.get(name)
            return None if value is None else int(value)

        started = self.status not in ("validating", "failed")
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "model": self.checked.model,
            "errors": {"object": "list", "data": self.checked.errors}
            if self.checked.errors and self.status == "failed"
            else None,
            "input_file_id": self.input_file_id,
            "completion_window": "24h",
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": int(self.created),
            "in_progress_at": at("in_progress_at"),
            "expires_at": int(self.expires_at),
            "finalizing_at": at("finalizing_at"),
            "completed_at": at("completed_at"),
            "failed_at": at("failed_at"),
            "expired_at": at("expired_at"),
            "cancelling_at": at("cancelling_at"),
            "cancelled_at": at("cancelled_at"),
            "request_counts": {
                "total": len(self.checked.requests) if started else 0,
                "completed": self.completed,
                "failed": self.failed,
            },
            "usage": {
                "input_tokens": self.usage["input"],
                "input_tokens_details": {"cached_tokens": self.usage["cached"]},
                "output_tokens": self.usage["output"],
                "output_tokens_details": {"reasoning_tokens": self.usage["reasoning"]},
                "total_tokens": self.usage["input"] + self.usage["output"],
            },
            "metadata": self.metadata,
        }


class BatchStore:
    """The batches of one local model, oldest first; thread-safe.

    Args:
        files: where input files are read and output files written.
        timing: how long each step takes.
        limits: how large an input file may be.
        now: the simulated time (``timing.simulated_clock()``), shared with ``files``.
        answer: how a line is answered (the local model's own path for a live request).
    """

    def __init__(
        self,
        files: FileStore,
        timing: BatchTiming,
        limits: BatchLimits,
        now: Callable[[], float],
        answer: AnswerLine,
    ) -> None:
        self.files = files
        self.timing = timing
        self.limits = limits
        self._now = now
        self._answer = answer
        self._lock = threading.RLock()
        self._batches: dict[str, LocalBatch] = {}

    def advance(self) -> None:
        """Bring every batch up to the present (see the module docstring)."""
        with self._lock:
            now = self._now()
            for batch in self._batches.values():
                batch.advance(now, self._answer, self.files)

    def create(
        self,
        *,
        endpoint: str,
        input_file_id: str,
        checked: CheckedInput,
        metadata: dict[str, str] | None,
        output_expires_after: int | None,
    ) -> dict[str, Any]:
        """A new batch, as the ``batch`` object the API answers with."""
        with self._lock:
            batch = LocalBatch(
                id=new_id("batch_"),
                endpoint=endpoint,
                input_file_id=input_file_id,
                metadata=metadata,
                output_expires_after=output_expires_after,
                created=self._now(),
                timing=self.timing,
                checked=checked,
            )
            self._batches[batch.id] = batch
            batch.advance(batch.created, self._answer, self.files)  # a zero-second step is due
            return batch.to_object()

    # The objects are made under the lock: a batch read while another thread ends it would
    # show ``completed`` with no ``output_file_id`` yet.

    def get(self, batch_id: str) -> dict[str, Any] | None:
        """The batch's ``batch`` object now; None when unknown."""
        with self._lock:
            self.advance()
            batch = self._batches.get(batch_id)
            return batch.to_object() if batch is not None else None

    def cancel(self, batch_id: str) -> dict[str, Any] | None:
        """The batch's object, cancelling when it could be (check its status); None when
        unknown."""
        with self._lock:
            self.advance()
            batch = self._batches.get(batch_id)
            if batch is None:
                return None
            if batch.cancel(self._now()):
                batch.advance(self._now(), self._answer, self.files)  # zero cancelling seconds
            return batch.to_object()

    def list(self, *, after: str | None, limit: int) -> dict[str, Any]:
        """A page of batches, newest first (as the API lists them)."""
        with self._lock:
            self.advance()
            items = [b.to_object() for b in reversed(self._batches.values())]
        return page(items, after, limit)
