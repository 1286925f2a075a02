"""A grid's Batch API runs in the SQLite log (its ``grid_batches`` table): one row per batch,
written as soon as each step is known, so that a new process picks the batches up instead of
submitting them again.

A row is written before its input file is uploaded (``claim``: its cells, status ``uploading``,
so that two runs of one grid never both submit them), updated right after the upload (the
file's id: a crash before the batch is created reuses the file), right after the batch is
created (its id), at each
poll that changes its status or counts, and when its results are merged into the grid. Rows are
keyed by the grid's ``requests_version`` (in the ``grid_version`` column: what defines the
requests, not the scorers or graders) and the server's base URL (never a key).
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..conversation._log import ConversationLog, default_log_path

__all__ = ["LOST", "TERMINAL", "UPLOADING", "BatchLog", "BatchRow", "batch_log_path"]

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
"""The statuses after which a batch changes no more."""

UPLOADING = "uploading"
"""Not a status of the API: a run claimed the row's cells and is uploading or creating (the
status says which process: ``uploading by <host>:<pid>``)."""

_NONCE = [os.urandom(4).hex()]
"""This process's mark in its claims: a pid can be reused, and a forked child gets a new one."""
os.register_at_fork(after_in_child=lambda: _NONCE.__setitem__(0, os.urandom(4).hex()))


def _claim_tag() -> str:
    """The status of a row this process claims: ``uploading by <host>:<pid>:<nonce>``, made at
    each claim (a forked worker claims under its own pid, not its parent's)."""
    return f"{UPLOADING} by {socket.gethostname()}:{os.getpid()}:{_NONCE[0]}"


LOST = "lost"
"""Not a status of the API: the server answered 404 for the batch (see ``BatchRunner._lost``)."""


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

    def claim(
        self,
        grid_version: str,
        server: str,
        endpoint: str,
        model: str,
        part: int,
        custom_ids: list[str],
    ) -> BatchRow | list[BatchRow]:
        """Claim cells before their file is uploaded: in one transaction, a new row (status
        ``uploading``, no file yet) when no unmerged row of this grid and server holds any of
        ``custom_ids``; else the rows that do (another run's), and nothing is written."""
        now, tag = time.time(), _claim_tag()
        wanted = set(custom_ids)
        with self.db._transaction() as conn:
            found = conn.execute(
                f"SELECT {_COLUMNS} FROM grid_batches WHERE grid_version = ? AND server = ?"
                " AND merged = 0 ORDER BY id",
                (grid_version, server),
            ).fetchall()
            holders = [row for row in map(_row, found) if wanted & set(row.custom_ids)]
            if holders:
                return holders
            ids = json.dumps(custom_ids)
            cursor = conn.execute(
                "INSERT INTO grid_batches (grid_version, server, endpoint, model, part,"
                " custom_ids, status, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (grid_version, server, endpoint, model, part, ids, tag, now, now),
            )
            rowid = int(cursor.lastrowid or 0)
        return BatchRow(
            rowid, grid_version, server, endpoint, model, part, list(custom_ids),
            status=tag, created=now, updated=now,
        )  # fmt: skip

    def take(self, row: BatchRow, lease: float) -> bool:
        """Take over ``row``, a batch not created yet, unless another run is submitting it: a
        claim of a live process made less than ``lease`` seconds ago. True when it is now this
        run's; ``row`` is updated from the log either way."""
        now, tag = time.time(), _claim_tag()
        with self.db._transaction() as conn:
            found = conn.execute(f"SELECT {_COLUMNS} FROM grid_batches WHERE id = ?", (row.id,))
            values = found.fetchone()
            current = _row(values) if values else None
            free = (
                current is not None
                and current.batch_id is None
                and not current.merged
                and not _claimed(current, now - lease)
            )
            if free:
                conn.execute(
                    "UPDATE grid_batches SET status = ?, updated = ? WHERE id = ?",
                    (tag, now, row.id),
                )
        if current is not None:
            vars(row).update(vars(current))
        if free:
            row.status, row.updated = tag, now
        return free

    def row(self, rowid: int) -> BatchRow | None:
        """The row ``rowid`` as the log has it now."""
        found = self.db._read(f"SELECT {_COLUMNS} FROM grid_batches WHERE id = ?", rowid)
        return _row(found[0]) if found else None

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


def _claimed(row: BatchRow, since: float) -> bool:
    """Whether another run holds ``row``'s claim: one made after ``since`` (a claim whose
    run died without a word is free once that long has passed, whatever its pid), by a
    process still alive when it is of this host (one gone, or a pid now this process's under
    another mark, is free at once)."""
    status = row.status or ""
    if not status.startswith(UPLOADING) or row.updated < since:
        return False
    holder = status.removeprefix(f"{UPLOADING} by ")
    host, pid, nonce = [*holder.rsplit(":", 2), "", ""][:3]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return nonce == _NONCE[0]  # another grid of this process; else a dead one's pid
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # alive, another user's
    return True


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
