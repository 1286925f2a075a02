"""A finished batch's results merged into its cells, one cell at a time: a bad line fails its
own cell (or, naming no cell of the batch, is reported), never the rest of the batch.

What each cell of the batch ends as:

* its line of the output or error file read as a live reply would be (``done``, ``cut``,
  ``error`` with the server's message), marked with the batch's id and priced at the batch
  discount; the first line for a ``custom_id`` kept, a duplicate reported;
* no line, by how the batch ended: ``completed`` (``error``: no line answers it), ``expired``
  (``error``, ``batch_expired``), ``cancelled`` (``cancelled``), ``failed`` (``error``: the
  batch's validation error for its line, else for the whole file);
* a file that cannot be downloaded: the cells it would have answered are ``error``, naming it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._batch import BatchFileError, fill_from_record, parse_line
from ._cells import Cell

if TYPE_CHECKING:
    from ..conversation._log import ConversationLog
    from ._grid import Grid

__all__ = ["BatchFile", "merge_batch"]


@dataclass(frozen=True, slots=True)
class BatchFile:
    """One output or error file of a batch: its id, and its text (None, with ``problem``
    saying why, when it could not be downloaded; ``gone``: the server has it no more, a 404
    or 410)."""

    file_id: str
    text: str | None
    problem: str | None = None
    gone: bool = False


@dataclass
class _Merge:
    grid: Grid
    batch: Any
    held: Mapping[str, Cell]
    sent: Sequence[str]
    log: ConversationLog | None
    answered: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @functools.cached_property
    def known(self) -> frozenset[str]:
        return frozenset(self.sent)


def merge_batch(
    grid: Grid,
    batch: Any,
    held: Mapping[str, Cell],
    files: Sequence[BatchFile],
    sent: Sequence[str],
    log: ConversationLog | None = None,
) -> list[str]:
    """Fill the cells of one finished batch (``held``: the cells to fill, by ``custom_id``)
    from its ``files``; ``sent``: every ``custom_id`` of its input file, in order (a line for
    one that is not ``held``, a cell answered already, is passed over). Returns what did not
    fit (lines naming no request of the batch, duplicates, lines that are not JSON), one
    sentence each. ``log``: where each answered cell's conversation is written (the grid's
    ``log=``), as a live run writes it."""
    merge = _Merge(grid, batch, held, sent, log)
    missing: list[str] = []
    for file in files:
        if file.text is None:
            missing.append(f"{file.file_id} ({file.problem})" if file.problem else file.file_id)
            continue
        _merge_file(merge, file)
    for custom_id, cell in held.items():
        cell.batch_id = batch.id
        if custom_id not in merge.answered:
            _unanswered(merge, custom_id, cell, missing)
    return merge.problems


def _merge_file(merge: _Merge, file: BatchFile) -> None:
    assert file.text is not None
    for number, line in enumerate(file.text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{merge.batch.id} file {file.file_id}, line {number}"
        try:
            key, record = parse_line(line, where)
        except BatchFileError as exc:
            merge.problems.append(str(exc))
            continue
        custom_id = str(key)
        cell = merge.held.get(custom_id)
        if cell is None and custom_id in merge.known:
            continue  # a request of the batch whose cell was answered already
        if cell is None:
            merge.problems.append(
                f"{where}: custom_id {custom_id!r} names no cell of this batch: ignored"
            )
            continue
        if custom_id in merge.answered:
            merge.problems.append(
                f"{where}: custom_id {custom_id!r} was answered already at"
                f" {merge.answered[custom_id]}: the first line is kept"
            )
            continue
        merge.answered[custom_id] = where
        try:
            fill_from_record(merge.grid, cell, record, where, merge.batch.id, merge.log)
        except BatchFileError as exc:
            cell.status = "error"
            cell.error = str(exc)


def _unanswered(merge: _Merge, custom_id: str, cell: Cell, missing: list[str]) -> None:
    batch = merge.batch
    status = batch.status
    if missing:
        cell.status = "error"
        cell.error = f"batch {batch.id}: its file {', '.join(missing)} could not be read"
    elif status == "cancelled":
        cell.status = "cancelled"
        cell.error = f"cancelled: batch {batch.id} was cancelled before this request ran"
    elif status == "expired":
        cell.status = "error"
        cell.error = f"batch_expired: batch {batch.id} expired before this request ran"
    elif status == "failed":
        cell.status = "error"
        cell.error = _failure(batch, merge.sent.index(custom_id) + 1)
    else:
        cell.status = "error"
        cell.error = f"batch {batch.id} ({status}): no line of its output answers this cell"


def _failure(batch: Any, line: int) -> str:
    """The validation error of a failed batch for input line ``line`` (from 1), else the
    errors that name no line."""
    data = list(getattr(getattr(batch, "errors", None), "data", None) or ())
    own = [e for e in data if getattr(e, "line", None) == line]
    general = [e for e in data if getattr(e, "line", None) is None]
    chosen = own or general
    if not chosen:
        return f"batch_failed: batch {batch.id} failed"
    said = "; ".join(
        f"{getattr(e, 'code', None) or 'batch_failed'}: {getattr(e, 'message', None) or ''}"
        for e in chosen
    )
    return f"{said} (batch {batch.id})"
