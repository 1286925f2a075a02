"""``GridComparison``: two runs compared, as a DataFrame that shows itself as a readable table in
a notebook (the reply's words diffed and highlighted, flips first) and as plain text elsewhere.

Imported only when a comparison is asked for (it imports pandas).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

from ..conversation._text_diff import DIFF_CSS
from ._cells import Cell
from ._compare import AFTER_ONLY, BEFORE_ONLY, BOTH, Comparison, Match
from ._frame import _inferred

__all__ = ["GridComparison", "comparison_frame"]

SHOWN = 100
"""The most cells the notebook view lists (the DataFrame has them all)."""
_TEXT_SHOWN = 20


class GridComparison(pd.DataFrame):  # type: ignore[misc]
    """What changed between two grid runs, one row per cell (see ``GridResult.compare``).

    A DataFrame: filter, sort and save it as any other (what that returns is a plain
    DataFrame). In a notebook it shows as a table of the cells that changed, flips first, with
    the reply's words diffed; ``repr()`` is the same as plain text.
    """

    _metadata = ["_comparison"]

    @property
    def _constructor(self) -> Any:
        return pd.DataFrame

    @property
    def comparison(self) -> Comparison:
        """The matches behind the table (each with its cells and ``TextDiff``)."""
        return self._comparison  # type: ignore[no-any-return]

    def _repr_html_(self) -> str:
        return comparison_html(self._comparison)

    def __repr__(self) -> str:
        return comparison_text(self._comparison)


def comparison_frame(comparison: Comparison) -> GridComparison:
    """The comparison as a ``GridComparison``, one row per match, in the comparison's order."""
    matches = comparison.matches
    columns: dict[str, Any] = {
        "side": pd.array([m.side for m in matches], dtype="str"),
        "row": pd.array([m.row for m in matches], dtype="str"),
        "column": pd.array([m.column for m in matches], dtype="str"),
        "repeat": pd.array([m.repeat for m in matches], dtype="int64"),
    }
    for name, get in _CELL_TEXT.items():
        for side in ("before", "after"):
            cells = [getattr(m, side) for m in matches]
            values = [None if c is None else get(c) for c in cells]
            columns[f"{name}_{side}"] = pd.array(values, dtype="str")
    columns["diff"] = pd.array([m.diff.compact() if m.diff else None for m in matches], dtype="str")
    columns["words_changed"] = pd.array(
        [m.diff.inserted + m.diff.deleted if m.diff else None for m in matches], dtype="Int64"
    )
    for name in comparison.score_names:
        columns[f"{name}_before"] = _inferred(
            [m.scores.get(name, (None, None))[0] for m in matches]
        )
        columns[f"{name}_after"] = _inferred([m.scores.get(name, (None, None))[1] for m in matches])
        columns[f"{name}_change"] = _floats([m.change(name) for m in matches])
    for name in comparison.pass_names:
        for i, side in enumerate(("before", "after")):
            passes = [m.passed.get(name, (None, None))[i] for m in matches]
            columns[f"{name}_passed_{side}"] = pd.array(passes, dtype="boolean")
    columns["flipped"] = pd.array([m.flipped for m in matches], dtype="str")
    columns["flipped_by"] = pd.array(
        [", ".join(m.flipped_by) or None for m in matches], dtype="str"
    )
    for name in ("cost_usd", "latency_s"):
        before = [_value(m.before, name) for m in matches]
        after = [_value(m.after, name) for m in matches]
        columns[f"{name}_before"] = _floats(before)
        columns[f"{name}_after"] = _floats(after)
        columns[f"{name}_change"] = _floats(
            [None if a is None or b is None else b - a for a, b in zip(before, after, strict=True)]
        )
    frame = GridComparison(columns, index=pd.RangeIndex(len(matches)))
    frame._comparison = comparison
    return frame


_CELL_TEXT: dict[str, Callable[[Cell], str]] = {
    "cell": lambda c: str(c.key),
    "status": lambda c: c.status,
    "prompt": lambda c: c.prompt,
    "output": lambda c: c.output,
}


def _value(cell: Any, name: str) -> float | None:
    value = getattr(cell, name, None) if cell is not None else None
    return float(value) if value is not None else None


def _floats(values: list[float | None]) -> Any:
    return pd.array([math.nan if v is None else v for v in values], dtype="float64")


# -- the views ---------------------------------------------------------------------------------


def _interesting(match: Match) -> bool:
    """Whether a match is worth listing: one side only, a flip, a changed reply or score."""
    if match.side != BOTH or match.flipped:
        return True
    if match.diff is not None and match.diff.changed:
        return True
    return any(not _same(before, after) for before, after in match.scores.values())


def _summary(comparison: Comparison) -> tuple[str, list[Match]]:
    matches = comparison.matches
    both = [m for m in matches if m.side == BOTH]
    changed = sum(1 for m in both if m.diff is not None and m.diff.changed)
    flips = [m.flipped for m in both if m.flipped]
    listed = [m for m in matches if _interesting(m)]
    parts = [
        f"{len(both)} cells in both runs",
        f"{changed} replies changed",
        f"{flips.count('pass -> fail')} pass -> fail",
        f"{flips.count('fail -> pass')} fail -> pass",
    ]
    for side in (BEFORE_ONLY, AFTER_ONLY):
        count = sum(1 for m in matches if m.side == side)
        if count:
            parts.append(f"{count} {side}")
    head = f"version {comparison.before_version} -> {comparison.after_version}: " + ", ".join(parts)
    return head, listed


def comparison_text(comparison: Comparison) -> str:
    """The comparison as plain text: a summary line, then each cell that changed."""
    head, listed = _summary(comparison)
    lines = [f"GridComparison: {head}"]
    for match in listed[:_TEXT_SHOWN]:
        mark = f"[{match.flipped}: {', '.join(match.flipped_by)}] " if match.flipped else ""
        if match.side != BOTH:
            mark = f"[{match.side}] "
        where = f"{_one_line(match.row, 50)} · {match.column} · r{match.repeat}"
        facts = [*_score_texts(match), *_delta_texts(match)]
        lines.append(f"  {mark}{where}" + (f"  ({'; '.join(facts)})" if facts else ""))
        if match.diff is not None and match.diff.changed:
            lines.append(f"      {_one_line(match.diff.compact(30), 300)}")
        elif match.side != BOTH:
            cell = match.after or match.before
            lines.append(f"      {_one_line(cell.output if cell else '', 300)}")
    if len(listed) > _TEXT_SHOWN:
        lines.append(f"  ... {len(listed) - _TEXT_SHOWN} more changed cells: the frame has all")
    unchanged = len(comparison.matches) - len(listed)
    if unchanged:
        lines.append(f"  {unchanged} cells unchanged")
    return "\n".join(lines)


def comparison_html(comparison: Comparison) -> str:
    """The comparison as an HTML table; every text from the runs is escaped."""
    head, listed = _summary(comparison)
    rows = "".join(_html_row(m) for m in listed[:SHOWN])
    more = len(listed) - SHOWN
    notes = [f"{more} more changed cells: the DataFrame has all"] if more > 0 else []
    unchanged = len(comparison.matches) - len(listed)
    if unchanged:
        notes.append(f"{unchanged} cells unchanged, not listed")
    foot = "".join(f"<p>{html.escape(n)}</p>" for n in notes)
    return (
        f"<style>{DIFF_CSS}{_CSS}</style><div class='wb-compare'>"
        f"<p><b>GridComparison</b>: {html.escape(head)}</p>"
        "<table class='wb-compare-table'><thead><tr><th>cell</th><th>pass/fail</th><th>scores</th>"
        "<th>reply (deleted, inserted)</th><th>cost, latency</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{foot}</div>"
    )


def _html_row(match: Match) -> str:
    where = (
        f"{html.escape(match.row)}<br><span class='wb-compare-muted'>"
        f"{html.escape(match.column)} · r{match.repeat}</span>"
    )
    if match.side != BOTH:
        where += f"<br><span class='wb-compare-side'>{html.escape(match.side)}</span>"
    flip = ""
    if match.flipped:
        kind = "fail" if match.flipped == "pass -> fail" else "pass"
        names = html.escape(", ".join(match.flipped_by))
        flip = f"<span class='wb-flip-{kind}'>{html.escape(match.flipped)}</span> {names}"
    scores = "<br>".join(
        f"<span class='wb-compare-score'>{html.escape(s)}</span>" for s in _score_texts(match)
    )
    if match.diff is not None:
        reply = match.diff.to_html()
    else:
        cell = match.after or match.before
        reply = f"<span class='wb-diff'>{html.escape(cell.output if cell else '')}</span>"
    deltas = "<br>".join(html.escape(d) for d in _delta_texts(match))
    cells = (where, flip, scores, f"<div class='wb-compare-reply'>{reply}</div>", deltas)
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _same(before: Any, after: Any) -> bool:
    """Whether two scores are equal (two NaNs are: the score is missing in both)."""
    nan = isinstance(before, float) and isinstance(after, float) and math.isnan(before)
    try:
        equal = bool(before == after)
    except (TypeError, ValueError):  # an array: == is element-wise
        equal = before is after
    return equal or (nan and math.isnan(after))


def _score_texts(match: Match) -> list[str]:
    out = []
    for name, (before, after) in match.scores.items():
        if _same(before, after) and match.side == BOTH:
            continue
        change = match.change(name)
        shown = f"{name}: {_short(before)} -> {_short(after)}"
        out.append(shown + (f" ({change:+.3g})" if change else ""))
    return out


def _delta_texts(match: Match) -> list[str]:
    if match.before is None or match.after is None:
        return []
    out = []
    cost_a, cost_b = match.before.cost_usd, match.after.cost_usd
    if cost_a is not None and cost_b is not None and cost_a != cost_b:
        out.append(f"cost {cost_b - cost_a:+.6f} $")
    late_a, late_b = match.before.latency_s, match.after.latency_s
    if late_a is not None and late_b is not None:
        out.append(f"latency {late_b - late_a:+.2f} s")
    return out


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return _one_line(str(value), 30)


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


_CSS = """
.wb-compare { overflow-x: auto; }
.wb-compare table { border-collapse: collapse; }
.wb-compare .wb-compare-table th, .wb-compare .wb-compare-table td {
  border: 1px solid var(--jp-border-color2, #e0e0e0); padding: 0.3em 0.5em;
  text-align: left; vertical-align: top;
}
.wb-compare .wb-compare-table th { background: var(--jp-layout-color2, #eee); }
.wb-compare-muted { color: var(--jp-content-font-color2, rgba(0, 0, 0, 0.54)); }
.wb-compare-reply { max-height: 12em; overflow: auto; max-width: 60em; min-width: 14em; }
.wb-compare .wb-compare-table td:last-child, .wb-compare-score { white-space: nowrap; }
.wb-compare-side { font-style: italic; }
.wb-flip-fail, .wb-flip-pass {
  white-space: nowrap; border-radius: 2px; padding: 0 0.3em;
  color: var(--jp-content-font-color0, #000);
}
.wb-flip-fail { background: var(--jp-error-color3, #ffcdd2); }
.wb-flip-pass { background: var(--jp-success-color3, #c8e6c9); }
body[data-jp-theme-light="false"] .wb-flip-fail {
  color: var(--jp-error-color3, #ffcdd2);
  background: color-mix(in srgb, var(--jp-error-color1, #d32f2f) 30%, transparent);
}
body[data-jp-theme-light="false"] .wb-flip-pass {
  color: var(--jp-success-color3, #c8e6c9);
  background: color-mix(in srgb, var(--jp-success-color1, #388e3c) 30%, transparent);
}
"""
