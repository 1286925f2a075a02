"""What the ``/batches`` endpoints return: a batch job, its request counts, errors and usage."""

from __future__ import annotations

from typing import Literal

from ._wire_model import BaseModel

__all__ = [
    "Batch",
    "BatchError",
    "BatchRequestCounts",
    "BatchStatus",
    "BatchUsage",
    "BatchUsageInputTokensDetails",
    "BatchUsageOutputTokensDetails",
    "Errors",
]

BatchStatus = Literal[
    "validating",
    "failed",
    "in_progress",
    "finalizing",
    "completed",
    "expired",
    "cancelling",
    "cancelled",
]
"""Where a batch is: ``completed``, ``failed``, ``expired`` and ``cancelled`` are final."""


class BatchError(BaseModel):
    """Why (a line of) a batch's input file was refused."""

    code: str | None = None
    line: int | None = None
    message: str | None = None
    param: str | None = None


class Errors(BaseModel):
    """The validation errors of a batch that failed."""

    data: list[BatchError] | None = None
    object: str | None = None


class BatchRequestCounts(BaseModel):
    """How many of a batch's requests are done, and how many of those failed."""

    completed: int
    failed: int
    total: int


class BatchUsageInputTokensDetails(BaseModel):
    cached_tokens: int = 0


class BatchUsageOutputTokensDetails(BaseModel):
    reasoning_tokens: int = 0


class BatchUsage(BaseModel):
    """The tokens a batch's requests used, summed (newer servers send it; 1.106.1 keeps it as
    an extra field)."""

    input_tokens: int
    input_tokens_details: BatchUsageInputTokensDetails | None = None
    output_tokens: int
    output_tokens_details: BatchUsageOutputTokensDetails | None = None
    total_tokens: int


class Batch(BaseModel):
    """A batch job: an input file of requests run within ``completion_window``; its
    ``output_file_id`` and ``error_file_id`` hold the answers and the failures."""

    id: str
    completion_window: str
    created_at: int
    endpoint: str
    input_file_id: str
    object: Literal["batch"] | str = "batch"
    status: BatchStatus | str
    cancelled_at: int | None = None
    cancelling_at: int | None = None
    completed_at: int | None = None
    error_file_id: str | None = None
    errors: Errors | None = None
    expired_at: int | None = None
    expires_at: int | None = None
    failed_at: int | None = None
    finalizing_at: int | None = None
    in_progress_at: int | None = None
    metadata: dict[str, str] | None = None
    model: str | None = None
    output_file_id: str | None = None
    request_counts: BatchRequestCounts | None = None
    usage: BatchUsage | None = None
