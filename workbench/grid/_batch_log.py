"""A grid's Batch API runs in the SQLite log (its ``grid_batches`` table): one row per batch,
written as soon as each step is known, so that a new process picks the batches up instead of
submitting them again.

A row is written right after its input file is uploaded (the file's id: a crash before the
batch is created reuses the file), updated right after the batch is created (its id), at each
poll that changes its status or counts, and when its results are merged into the grid. Rows are
keyed by the grid's ``requests_version`` (in the ``grid_version`` column: what defines the
requests, not the scorers or graders) and the server's base URL (never a key).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..conversation._log import ConversationLog, default_log_path

__all__ = ["BatchLog", "BatchRow", "batch_log_path"]

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
"""The statuses after which a batch changes no more."""


def batch_log_path(log: bool | str | Path) -> Path:
    """Where a grid's batches are logged: the grid's ``log=`` path, else the default log (the
    batch log is always on: a day-long batch must survive the kernel)."""
    return default_log_path() if isinstance(log, bool) else Path(log)


@dataclass
class BatchRow:
    """What the log holds of one batch of a grid."""

    id: int
    grid_version: str
    server: str
    endpoint: str
    model: str
    part: int
    custom_ids: list[str]
    input_file_id: str | None = None
    batch_id: str | None = None
    status: str | None = None
    request_counts: dict[str, int] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    merged: bool = False
    created: float = 0.0
    updated: float = 0.0

    @property
    def finished(self) -> bool:
        """Whether the batch reached a status after which it changes no more."""
        return self.status in TERMINAL


_COLUMNS = (
    "id, grid_version, server, endpoint, model, part, custom_ids, input_file_id, batch_id,"
    " status, request_counts, output_file_id, error_file_id, merged, created, updated"
)


class BatchLog:
    """The ``grid_batches`` rows of one log; each write is committed at once.

    Args:
        db: the log (its connection, transactions and private-file rules).
    """

    def __init__(self, db: ConversationLog) -> None:
        self.db = db

    def rows(self, grid_version: str, server: str) -> list[BatchRow]:
        """The batches logged for this grid version on this server, oldest first."""
        found = self.db._read(
            f"SELECT {_COLUMNS} FROM grid_batches WHERE grid_version = ? AND server = ?"
            " ORDER BY id",
            grid_version,
            server,
        )
        return [_row(values) for values in found]

    def uploaded(
        self,
        grid_version: str,
        server: str,
        endpoint: str,
        model: str,
        part: int,
        custom_ids: list[str],
        input_file_id: str,
    ) -> BatchRow:
        """Record an uploaded input file (before its batch is created); returns the new row."""
        now = time.time()
        ids = json.dumps(custom_ids)
        with self.db._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO grid_batches (grid_version, server, endpoint, model, part,"
                " custom_ids, input_file_id, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (grid_version, server, endpoint, model, part, ids, input_file_id, now, now),
            )
            rowid = int(cursor.lastrowid or 0)
        return BatchRow(
            rowid, grid_version, server, endpoint, model, part, list(custom_ids), input_file_id,
            created=now, updated=now,
        )  # fmt: skip

    def update(self, row: BatchRow, **changes: Any) -> None:
        """Set ``changes`` (any of ``input_file_id``, ``batch_id``, ``status``,
        ``request_counts``, ``output_file_id``, ``error_file_id``, ``merged``) on ``row`` and
        in the log."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"not a column to update: {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated = time.time()
        values = [_stored(name, value) for name, value in changes.items()]
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self.db._transaction() as conn:
            conn.execute(
                f"UPDATE grid_batches SET {assignments}, updated = ? WHERE id = ?",
                (*values, row.updated, row.id),
            )


_UPDATABLE = frozenset(
    {"input_file_id", "batch_id", "status", "request_counts", "output_file_id", "error_file_id"}
    | {"merged"}
)


def _stored(name: str, value: Any) -> Any:
    if name == "request_counts":
        return None if value is None else json.dumps(value)
    if name == "merged":
        return int(bool(value))
    return value


def _row(values: tuple[Any, ...]) -> BatchRow:
    (rowid, version, server, endpoint, model, part, ids, input_file, batch, status, counts,
     output, errors, merged, created, updated) = values  # fmt: skip
    return BatchRow(
        rowid, version, server, endpoint, model, part, json.loads(ids), input_file, batch,
        status, json.loads(counts) if counts else None, output, errors, bool(merged), created,
        updated,
    )  # fmt: skip
