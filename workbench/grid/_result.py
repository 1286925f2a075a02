"""``GridResult``: the cells of a finished run, as a DataFrame, a side-by-side table or a plot."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import InvalidParameterError
from ..conversation._tools import run_sync
from ._batch import UNKNOWN_BATCH, read_batch_output
from ._cells import ANSWERED, Cell
from ._compare import compare_results
from ._frame import cells_frame
from ._judge import grade_answered
from ._score import prepare_scorers, score_cell
from ._summary import summary_frame

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]
    from matplotlib.axes import Axes

    from ._compare_frame import GridComparison
    from ._grid import Grid

__all__ = ["GridResult"]


class GridResult:
    """What a grid run gave: every cell, finished or not (``cells``), in the grid's order.

    Attributes:
        grid: the grid that ran.
        cells: its cells when the run ended.
        elapsed_s: the run's wall time (None for a result read from a Batch file).
        rate_limits: how many 429s the run met.
        lowest_concurrency: the fewest requests it allowed at once after a 429.
        batch_ids: the Batch API batches a ``run(batch=True)`` or ``resume()`` merged.
        batch_problems: what went wrong beside the cells, one sentence each: output lines
            that fit no cell (an unknown ``custom_id``, a duplicate, a line that is not JSON),
            a batch that could not be submitted (its cells say so too).
    """

    def __init__(
        self,
        grid: Grid,
        cells: Sequence[Cell],
        *,
        elapsed_s: float | None = None,
        rate_limits: int = 0,
        lowest_concurrency: int | None = None,
        batch_ids: Sequence[str] = (),
        batch_problems: Sequence[str] = (),
    ) -> None:
        self.grid = grid
        self.cells = list(cells)
        self.elapsed_s = elapsed_s
        self.rate_limits = rate_limits
        self.lowest_concurrency = lowest_concurrency
        self.batch_ids = list(batch_ids)
        self.batch_problems = list(batch_problems)

    def __len__(self) -> int:
        return len(self.cells)

    def __iter__(self) -> Iterator[Cell]:
        return iter(self.cells)

    @property
    def version(self) -> str:
        """The version of the grid that ran (``Grid.version``): 12 hex characters of a hash of
        its prompts, vars, models, parameters, tools, scorers and graders."""
        return self.grid.version

    @property
    def counts(self) -> dict[str, int]:
        """How many cells ended in each status."""
        return dict(collections.Counter(cell.status for cell in self.cells))

    def to_dataframe(self) -> pd.DataFrame:
        """One tidy row per cell.

        Columns: ``prompt``, each var, ``model``, ``api``, each parameter, ``repeat``, ``output``,
        ``parsed``, ``refusal``, ``finish_reason``, ``tool_calls``, ``prompt_tokens``,
        ``completion_tokens``, ``reasoning_tokens``, ``cached_tokens``, ``cost_usd``,
        ``latency_s``, ``ttft_s``, ``error``, ``request_id``, ``batch_id`` (only when a cell
        came through the Batch API: ``run(batch=True)``), ``status``, ``version`` (the
        grid's, the same in every row: see ``version``), then each scorer and
        ``<scorer>_error``, then per grader ``<name>`` (its score), ``<name>_pass``,
        ``<name>_reasoning`` (model graders), ``<name>_label`` (label graders),
        ``<name>_spread`` and ``<name>_agreement`` (model graders, ``judge_repeats`` > 1) and
        ``<name>_error``; with model graders, ``judge_cost_usd`` follows ``cost_usd``. Text
        is ``str``, token counts ``Int64``, cost and timings
        ``float64`` (NaN where unknown, never 0 for an unknown cost), parameters typed by the
        parameter, vars and scores by their values. A cell that never ran has no output (NA).
        """

        return cells_frame(self.grid._spec, self.cells, version=self.version)

    def summary(self) -> pd.DataFrame:
        """Pass rates and mean scores: one row per prompt x model x parameter set (x api when
        the grid compares several).

        Columns: ``prompt`` (its index in ``prompts``), ``model``, (``api``), ``params``,
        ``cells``, ``answered`` (done or cut), ``cost_usd`` and ``judge_cost_usd`` (with model
        graders; NaN when unknown), and per grader: ``<name>_n`` (cells with a score),
        ``<name>_pass_rate`` with its 95% Wilson interval (``<name>_pass_low``,
        ``<name>_pass_high``) for graders that say pass or fail, and ``<name>_mean`` with its
        95% Student's t interval (``<name>_mean_low``, ``<name>_mean_high``; NaN under two
        scores). When every grader says pass or fail: ``pass_rate``, ``pass_low`` and
        ``pass_high``, a cell passing when every grader passed it. Failed grades count in
        neither.
        """

        return summary_frame(self.grid._spec, self.cells)

    def compare(self, other: GridResult) -> GridComparison:
        """What changed from this run to ``other``, cell by cell: a DataFrame (a
        ``GridComparison``) that shows in a notebook as a table with the replies' words diffed.

        Cells are matched by what they are: the prompt (by its text, else its position), the
        vars row (by its values, else its position), the model, the parameter set, the api and
        the repeat. Cells that flipped pass -> fail come first, then fail -> pass, then the
        rest by the largest change of any score; cells of one run only come last.

        Columns: ``side`` (``both``, ``before only``, ``after only``), ``row``, ``column``,
        ``repeat``; ``cell_*``, ``status_*``, ``prompt_*`` and ``output_*`` for ``before``
        (this run) and ``after`` (``other``); ``diff`` (``[-deleted-]{+inserted+}``, words) and
        ``words_changed``; per scorer and grader ``<name>_before``, ``<name>_after`` and
        ``<name>_change``; per grader with a threshold (and scorer answering True/False)
        ``<name>_passed_before`` and ``<name>_passed_after``; ``flipped`` (``pass -> fail``,
        ``fail -> pass``) and ``flipped_by``; ``cost_usd_*`` and ``latency_s_*`` before, after
        and ``_change``. The matches themselves (their cells and word diffs) are in
        ``.comparison``.
        """
        from ._compare_frame import comparison_frame

        return comparison_frame(compare_results(self, other))

    def pivot(self, values: str = "output", aggfunc: Any = None) -> pd.DataFrame:
        """A side-by-side table: a row per prompt (and vars row), a column per model and
        parameter set (and protocol, with ``apis=``), holding ``values`` (any column of
        ``to_dataframe()``).

        With repeats, each repeat is a row of its own (a second index level), unless
        ``aggfunc`` (``"mean"``, ``"first"``, a function, ...) combines them.
        """
        import pandas as pd

        frame = cells_frame(self.grid._spec, self.cells, labels=True)
        if values not in frame.columns or values.startswith("_"):
            known = ", ".join(c for c in frame.columns if not c.startswith("_"))
            raise KeyError(f"no column {values!r} to pivot; the columns are: {known}")
        rows, columns = self.grid.row_labels, self.grid.column_labels
        if aggfunc is not None:
            table = frame.pivot_table(
                index="_row", columns="_column", values=values, aggfunc=aggfunc, dropna=False
            )
            index: Any = pd.Index(rows, name="prompt")
        elif self.grid.repeats > 1:
            table = frame.pivot(index=["_row", "repeat"], columns="_column", values=values)
            index = pd.MultiIndex.from_product(
                [rows, range(self.grid.repeats)], names=["prompt", "repeat"]
            )
        else:
            table = frame.pivot(index="_row", columns="_column", values=values)
            index = pd.Index(rows, name="prompt")
        table = table.reindex(columns=columns)
        table.index = table.index.set_names(index.names)
        table = table.reindex(index=index)
        several = len(self.grid._spec.apis) > 1
        table.columns.name = "model · api · params" if several else "model · params"
        return table

    def plot(self, metric: str = "latency_s", ax: Axes | None = None) -> Axes:
        """Draw ``metric`` (a numeric column: ``latency_s``, ``cost_usd``,
        ``completion_tokens``, a scorer, ...) by model and parameter set: a bar for the mean,
        a dot for each cell. Returns the matplotlib ``Axes``."""
        import pandas as pd

        frame = cells_frame(self.grid._spec, self.cells, labels=True)
        if metric not in frame.columns or metric.startswith("_"):
            raise KeyError(f"no column {metric!r} to plot")
        series = frame[metric]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            raise TypeError(
                f"{metric!r} is not numeric ({series.dtype}): plot latency_s, cost_usd,"
                " completion_tokens, ttft_s or a numeric scorer"
            )
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(self.grid.column_labels)), 3.5))
        values = series.astype("float64")
        labels = self.grid.column_labels
        means = []
        for x, label in enumerate(labels):
            group = values[frame["_column"] == label].dropna()
            means.append(float(group.mean()) if len(group) else 0.0)
            if len(group):
                offsets = [(i + 0.5) / len(group) - 0.5 for i in range(len(group))]
                ax.scatter(
                    [x + 0.5 * o for o in offsets], list(group), s=12, color="black", zorder=3
                )
        ax.bar(range(len(labels)), means, color="#8fb3d9", zorder=2)
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=20, ha="right")
        ax.set_ylabel(metric)
        ax.set_title(f"{metric} by model and parameter set (bar: mean, dots: cells)")
        return ax

    @classmethod
    def from_batch_output(
        cls,
        grid: Grid,
        path: str | Path | Sequence[str | Path],
        *,
        batch_id: str = UNKNOWN_BATCH,
    ) -> GridResult:
        """Read OpenAI Batch API output (and error) files for ``grid.to_batch_jsonl(...)``'s
        requests back into a result; the grid's cells are replaced by what the files hold.

        Each line's ``custom_id`` names its cell; a cell no line answers is ``skipped``. The
        replies came through a batch: each is marked with ``batch_id`` (the batch's id, which
        the files do not hold: ``"unknown"`` unless given) and priced at the batch price.
        Scorers and graders run on the outputs (model graders' judges through the grid's
        client, within its ``max_cost_usd``: a ``WorkbenchError`` before any judge is asked
        when their estimate is past it). A malformed file raises ``BatchFileError`` naming the
        file, line and field, and changes nothing.

        Raises:
            InvalidParameterError: ``batch_id`` is not a non-empty string.
        """
        if not isinstance(batch_id, str) or not batch_id:
            raise InvalidParameterError(
                "batch_id", f"must be the batch's id, a non-empty string; got {batch_id!r}"
            )
        paths = [path] if isinstance(path, (str, Path)) else list(path)
        cells = read_batch_output(grid, paths, batch_id)
        spec = grid._spec
        scorers = prepare_scorers(spec.scorers)
        done = [cell for cell in cells if cell.status in ANSWERED]
        if (scorers or spec.graders) and done:

            async def score_all() -> None:
                await asyncio.gather(*(score_cell(c, scorers, spec.structured(c)) for c in done))
                await grade_answered(grid, done)

            run_sync(score_all)
        grid._replace_cells(cells)
        return cls(grid, cells)

    @classmethod
    def from_openai_samples(
        cls,
        eval: Any,
        data: Any = None,
        run: Any = None,
        *,
        client: Any = None,
        **grid_options: Any,
    ) -> GridResult:
        """Grade the samples an OpenAI eval's data holds (``{"item": ..., "sample": {
        "output_text": ...}}`` lines; a ``jsonl`` run), sending nothing but the judges'
        requests (through ``client``).

        One cell per data line, its reply the line's sample (a line without one is
        ``skipped``); ``eval``, ``data`` and ``run`` as for ``Grid.from_openai_eval`` (``run``
        may be left out; its template, when given, is the prompt shown); ``grid_options``:
        ``judge_repeats``, ``concurrency``, ``max_cost_usd`` (the judges' budget: grades past
        it fail saying so) and other ``Grid`` arguments.

        Raises:
            InvalidParameterError: as ``Grid.from_openai_eval``, or a sample without text.
            WorkbenchError: the judges' estimate is past ``max_cost_usd``; nothing is sent.
        """
        from ._openai_samples import grade_openai_samples

        return grade_openai_samples(eval, data, run, client, grid_options)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(self.counts.items()))
        took = f" in {self.elapsed_s:.1f} s" if self.elapsed_s is not None else ""
        lines = [f"GridResult: {len(self.cells)} cells ({counts}){took}"]
        if self.rate_limits:
            lines.append(
                f"  {self.rate_limits} rate limits (429): concurrency went down to"
                f" {self.lowest_concurrency}"
            )
        lines.extend(_table(self))
        return "\n".join(lines)


def _table(result: GridResult, width: int = 32, most: int = 20) -> list[str]:
    """The first repeat of each row as text, one line per column (at most ``most`` rows)."""
    grid = result.grid
    first = {(c.row, c.column): c for c in result.cells if c.repeat == 0}
    out: list[str] = []
    for r, label in enumerate(grid.row_labels[:most]):
        out.append(f"  {label}")
        for k, column in enumerate(grid.column_labels):
            cell = first.get((r, k))
            if cell is None:
                continue
            if cell.status == "done":
                text = cell.output
            elif cell.status == "cut":
                text = f"[cut] {cell.output}" if cell.output else f"[cut] {cell.error}"
            else:
                text = f"[{cell.status}] {cell.error or ''}"
            text = " ".join(text.split())
            out.append(f"    {column}: {text if len(text) <= width else text[: width - 1] + '…'}")
    if len(grid.row_labels) > most:
        out.append(f"  ... {len(grid.row_labels) - most} more rows: .to_dataframe() has all")
    return out
