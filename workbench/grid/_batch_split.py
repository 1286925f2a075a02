"""A grid's cells cut into Batch API input files: one endpoint and one model per file, each
within the API's limits on requests and bytes (``BatchLimits``, the class the local model's
batches are checked against too)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .._exceptions import InvalidParameterError
from ._batch import BATCH_URLS, endpoint, request_line
from ._cells import Cell

if TYPE_CHECKING:
    from ..local import BatchLimits
    from ._grid import Grid

__all__ = ["BatchPart", "check_request_sizes", "part_of", "split_batches"]


@dataclass(frozen=True, slots=True)
class BatchPart:
    """One Batch input file: its endpoint (``chat`` or ``responses``), model, the ``custom_id``
    of each line in order, and the JSONL bytes."""

    endpoint: Literal["chat", "responses"]
    model: str
    custom_ids: tuple[str, ...]
    data: bytes

    @property
    def url(self) -> str:
        """The endpoint's path, as ``batches.create(endpoint=...)`` takes it."""
        return BATCH_URLS[self.endpoint]


def split_batches(grid: Grid, cells: Iterable[Cell], limits: BatchLimits) -> list[BatchPart]:
    """``cells`` as Batch input files: grouped by endpoint and model (in the grid's order), each
    group cut where the next line would pass ``limits``.

    Raises:
        InvalidParameterError: one request is larger than ``limits.max_bytes`` on its own.
    """
    groups: dict[tuple[Literal["chat", "responses"], str], list[Cell]] = {}
    for cell in cells:
        groups.setdefault((endpoint(grid, cell), cell.model), []).append(cell)
    parts: list[BatchPart] = []
    for (api, model), members in groups.items():
        for ids, lines in _cut(grid, members, limits):
            parts.append(BatchPart(api, model, tuple(ids), b"".join(lines)))
    return parts


def part_of(grid: Grid, custom_ids: Iterable[str]) -> BatchPart:
    """The one input file of the grid's cells ``custom_ids`` (a logged batch's, built again)."""
    by_id = {str(c.key): c for c in grid.cells}
    cells = [by_id[cid] for cid in custom_ids if cid in by_id]
    from ..local import BatchLimits  # the local model's package: loaded when needed

    whole = BatchLimits(max_requests=max(1, len(cells)), max_bytes=2**62)
    (part,) = split_batches(grid, cells, whole)
    return part


def check_request_sizes(grid: Grid, cells: Iterable[Cell], limits: BatchLimits) -> None:
    """Refuse, before anything is sent, a batch run with a request larger than one batch file
    may hold.

    Raises:
        InvalidParameterError: naming the first such cell.
    """
    for cell in cells:
        _line(grid, cell, limits)


def _line(grid: Grid, cell: Cell, limits: BatchLimits) -> bytes:
    """``cell``'s line of a batch file, as bytes, checked against ``limits.max_bytes``."""
    line = (request_line(grid, cell) + "\n").encode("utf-8")
    if len(line) > limits.max_bytes:
        raise InvalidParameterError(
            "batch_limits",
            f"cell {cell.key} is a request of {len(line)} bytes, more than one batch file"
            f" may hold ({limits.max_bytes} bytes): leave it out of the grid, or send it live"
            " (grid.rerun(key))",
        )
    return line


def _cut(
    grid: Grid, cells: list[Cell], limits: BatchLimits
) -> Iterator[tuple[list[str], list[bytes]]]:
    ids: list[str] = []
    lines: list[bytes] = []
    size = 0
    for cell in cells:
        line = _line(grid, cell, limits)
        if ids and (len(ids) >= limits.max_requests or size + len(line) > limits.max_bytes):
            yield ids, lines
            ids, lines, size = [], [], 0
        ids.append(str(cell.key))
        lines.append(line)
        size += len(line)
    if ids:
        yield ids, lines
