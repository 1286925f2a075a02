"""``GridResult.summary()``: pass rates and mean scores per prompt x model x parameter set,
each with a 95% confidence interval.

* A pass rate's interval is Wilson's score interval (good at small counts and near 0 or 1,
  where the normal approximation's is not).
* A mean score's interval is Student's t interval, ``mean ± t(0.975, n-1) · s / √n``: NaN with
  fewer than two scores. Cells of one group are taken as independent samples (repeats
  included), so the interval says how sure the mean is over this dataset's rows.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..evals import Grade, Grader
from ._cells import ANSWERED, Cell
from ._spec import GridSpec

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

__all__ = ["mean_interval", "summary_frame", "t_quantile", "wilson_interval"]

Z95 = 1.959963984540054
"""The normal distribution's 0.975 quantile."""

_T975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip
"""Student's t 0.975 quantile for 1 to 30 degrees of freedom (the published table)."""


def t_quantile(df: int) -> float:
    """Student's t 0.975 quantile: the table to 30 degrees of freedom, then the
    Cornish-Fisher expansion (within 1e-4 of the exact value past 30)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df <= len(_T975):
        return _T975[df - 1]
    z = Z95
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def wilson_interval(passed: int, n: int) -> tuple[float, float]:
    """The 95% Wilson score interval of ``passed`` successes in ``n`` trials (NaN for none)."""
    if n == 0:
        return math.nan, math.nan
    p = passed / n
    z2 = Z95 * Z95
    center = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, center - half), min(1.0, center + half)


def mean_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """The mean of ``values`` and its 95% t interval (NaN bounds with fewer than two)."""
    if not values:
        return math.nan, math.nan, math.nan
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = t_quantile(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def gives_pass(grader: Grader, cells: Sequence[Cell]) -> bool:
    """Whether ``grader`` says pass or fail: a threshold, labels, or a pass in its grades."""
    if grader.pass_threshold is not None or getattr(grader, "passing_labels", None):
        return True
    return any(getattr(c.grades.get(grader.name), "passed", None) is not None for c in cells)


def summary_frame(spec: GridSpec, cells: Sequence[Cell]) -> pd.DataFrame:
    """One row per prompt x model x parameter set (x api when the grid has several): its
    cells, answered cells, cost, judge cost, and per grader the graded cells, the pass rate
    with its Wilson interval and the mean score with its t interval; then the overall pass
    rate (every grader passed) when every grader says pass or fail."""
    import pandas as pd

    groups: dict[tuple[int, int], list[Cell]] = {}
    for cell in cells:
        groups.setdefault((cell.key.prompt, cell.column), []).append(cell)
    passing = [g for g in spec.graders if gives_pass(g, cells)]
    overall = bool(spec.graders) and len(passing) == len(spec.graders)
    judged = any(g.uses_model for g in spec.graders)
    records = []
    for (prompt, column), group in sorted(groups.items()):
        info = spec.columns[column]
        record: dict[str, Any] = {"prompt": prompt, "model": info.model}
        if len(spec.apis) > 1:
            record["api"] = info.api
        shown = ", ".join(f"{k}={v}" for k, v in info.params.items())
        record["params"] = shown or "(defaults)"
        record["cells"] = len(group)
        record["answered"] = sum(c.status in ANSWERED for c in group)
        record["cost_usd"] = _sum([c.cost_usd for c in group])
        if judged:
            record["judge_cost_usd"] = _sum([c.judge_cost_usd for c in group])
        for grader in spec.graders:
            record.update(_grader_stats(grader, group, grader in passing))
        if overall:
            verdicts = [_all_passed(c, spec.graders) for c in group]
            known = [v for v in verdicts if v is not None]
            record.update(_rate("", sum(known), len(known)))
        records.append(record)
    return pd.DataFrame.from_records(records)


def _grader_stats(grader: Grader, cells: Sequence[Cell], passes: bool) -> dict[str, Any]:
    grades: list[Grade] = [g for c in cells if (g := c.grades.get(grader.name)) is not None]
    scores = [g.score for g in grades if g.score is not None]
    name = grader.name
    out: dict[str, Any] = {f"{name}_n": len(scores)}
    if passes:
        verdicts = [g.passed for g in grades if g.passed is not None]
        out.update(_rate(f"{name}_", sum(verdicts), len(verdicts)))
    mean, low, high = mean_interval(scores)
    out.update({f"{name}_mean": mean, f"{name}_mean_low": low, f"{name}_mean_high": high})
    return out


def _rate(prefix: str, passed: int, n: int) -> dict[str, float]:
    low, high = wilson_interval(passed, n)
    rate = passed / n if n else math.nan
    return {f"{prefix}pass_rate": rate, f"{prefix}pass_low": low, f"{prefix}pass_high": high}


def _all_passed(cell: Cell, graders: Sequence[Grader]) -> bool | None:
    """Whether every grader passed the cell (None when any gave no verdict)."""
    verdicts = [getattr(cell.grades.get(g.name), "passed", None) for g in graders]
    if any(v is None for v in verdicts):
        return None
    return all(verdicts)


def _sum(costs: Sequence[float | None]) -> float:
    """The known costs added up (NaN when none is known: an unknown cost is never 0)."""
    known = [c for c in costs if c is not None]
    return sum(known) if known else math.nan
