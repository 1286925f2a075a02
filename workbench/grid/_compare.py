"""Two grid runs, cell by cell: cells matched by what they are (prompt, vars row, model,
parameter set, api, repeat), and what changed between them: the reply's words, each score and
pass/fail, cost and latency. Pure: records in, records out (``_compare_frame`` makes the table).
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..conversation._text_diff import TextDiff, word_diff
from ._cells import Cell, ScoreError

if TYPE_CHECKING:
    from ._result import GridResult

__all__ = ["Comparison", "Match", "compare_results", "pair_in_order"]

BOTH, BEFORE_ONLY, AFTER_ONLY = "both", "before only", "after only"
PASS_TO_FAIL, FAIL_TO_PASS = "pass -> fail", "fail -> pass"


@dataclass(frozen=True)
class Match:
    """One cell of either run, or the pair of them, and what changed.

    Attributes:
        side: ``both``, ``before only`` or ``after only``.
        before: the first run's cell (None when only the second has it).
        after: the second run's cell (None when only the first has it).
        row: the cell's row label (the second run's where it has the cell).
        column: its column label (model, api, parameters).
        diff: the word-level diff of the two replies (None unless both have the cell).
        scores: per score name, ``(before, after)`` values (None where missing or failed).
        passed: per grader (or boolean scorer), ``(before, after)`` pass/fail.
        flipped: ``pass -> fail``, ``fail -> pass``, or None; which graders flipped in
            ``flipped_by``.
    """

    side: str
    before: Cell | None
    after: Cell | None
    row: str
    column: str
    diff: TextDiff | None
    scores: dict[str, tuple[Any, Any]]
    passed: dict[str, tuple[bool | None, bool | None]]
    flipped: str | None
    flipped_by: tuple[str, ...]

    @property
    def repeat(self) -> int:
        """Which repeat the cell is."""
        cell = self.after or self.before
        assert cell is not None
        return cell.repeat

    def change(self, name: str) -> float | None:
        """How much score ``name`` changed (after - before; booleans as 0 and 1), when both
        are numbers."""
        before, after = self.scores.get(name, (None, None))
        if _number(before) is None or _number(after) is None:
            return None
        return float(after) - float(before)

    @property
    def largest_change(self) -> float:
        """The largest absolute change of any score (0 when none is known)."""
        changes = [abs(c) for name in self.scores if (c := self.change(name)) is not None]
        return max(changes, default=0.0)


@dataclass(frozen=True)
class Comparison:
    """What ``compare_results`` found: the matches, flipped first, then by size of score
    change, then in the second run's order; cells in one run only last."""

    before_version: str
    after_version: str
    matches: tuple[Match, ...]
    score_names: tuple[str, ...]
    pass_names: tuple[str, ...]


def compare_results(before: GridResult, after: GridResult) -> Comparison:
    """Match the cells of two runs and say what changed from ``before`` to ``after``."""
    keys_before = _cell_keys(before, None)
    keys_after = _cell_keys(after, (before, keys_before))
    by_key = {keys_before[id(c)]: c for c in before.cells}
    seen: set[Hashable] = set()
    matches: list[Match] = []
    for cell in after.cells:
        key = keys_after[id(cell)]
        seen.add(key)
        matches.append(_match(before, after, by_key.get(key), cell))
    for cell in before.cells:
        if keys_before[id(cell)] not in seen:
            matches.append(_match(before, after, cell, None))
    order = {id(m): i for i, m in enumerate(matches)}
    matches.sort(key=lambda m: (_rank(m), -m.largest_change, order[id(m)]))
    score_names = tuple(dict.fromkeys(n for m in matches for n in m.scores))
    pass_names = tuple(dict.fromkeys(n for m in matches for n in m.passed))
    return Comparison(before.version, after.version, tuple(matches), score_names, pass_names)


def pair_in_order(first: Sequence[Hashable], second: Sequence[Hashable]) -> dict[int, int]:
    """Pair items of ``second`` with items of ``first`` (index -> index): equal items first
    (in order, each used once), then the rest by position among those left."""
    free = list(range(len(first)))
    pairs: dict[int, int] = {}
    for j, item in enumerate(second):
        i = next((i for i in free if first[i] == item), None)
        if i is not None:
            pairs[j] = i
            free.remove(i)
    left = [j for j in range(len(second)) if j not in pairs]
    for j, i in zip(left, free, strict=False):
        pairs[j] = i
    return pairs


def _cell_keys(
    result: GridResult, against: tuple[GridResult, dict[int, Hashable]] | None
) -> dict[int, Hashable]:
    """Per cell (by id), a key naming what the cell is, comparable across the two runs: the
    prompt and the vars row as paired with the first run's (by text, else by position), the
    model, the parameter set, the api and the repeat."""
    spec = result.grid._spec
    prompts, rows_of_vars = _prompt_signatures(result), _vars_signatures(result)
    if against is None:
        prompt_ids: dict[int, Any] = {p: p for p in range(len(prompts))}
        vars_ids: dict[int, Any] = {v: v for v in range(len(rows_of_vars))}
    else:
        first = against[0]
        paired = pair_in_order(_prompt_signatures(first), prompts)
        prompt_ids = {p: paired.get(p, ("new", p)) for p in range(len(prompts))}
        paired = pair_in_order(_vars_signatures(first), rows_of_vars)
        vars_ids = {v: paired.get(v, ("new", v)) for v in range(len(rows_of_vars))}
    keys: dict[int, Hashable] = {}
    for cell in result.cells:
        row, column = spec.rows[cell.row], spec.columns[cell.column]
        params = json.dumps(column.params, sort_keys=True, default=repr)
        keys[id(cell)] = (
            prompt_ids[row.prompt],
            vars_ids[row.vars_index],
            column.model,
            params,
            column.api,
            cell.repeat,
        )
    return keys


def _prompt_signatures(result: GridResult) -> list[Hashable]:
    """Per prompt, what it sends: its filled messages over every vars row."""
    spec = result.grid._spec
    return [
        json.dumps([r.messages for r in spec.rows if r.prompt == p], default=repr)
        for p in range(spec.prompts)
    ]


def _vars_signatures(result: GridResult) -> list[Hashable]:
    spec = result.grid._spec
    by_index = {row.vars_index: row.vars for row in spec.rows}
    return [
        json.dumps(by_index.get(v, {}), sort_keys=True, default=repr) for v in range(spec.vars_rows)
    ]


def _match(before: GridResult, after: GridResult, a: Cell | None, b: Cell | None) -> Match:
    side = BOTH if a is not None and b is not None else BEFORE_ONLY if b is None else AFTER_ONLY
    shown, result = (b, after) if b is not None else (a, before)
    assert shown is not None
    spec = result.grid._spec
    scores = {
        name: (_scores(a).get(name), _scores(b).get(name))
        for name in dict.fromkeys([*_scores(a), *_scores(b)])
    }
    passed = {
        name: (_passes(a).get(name), _passes(b).get(name))
        for name in dict.fromkeys([*_passes(a), *_passes(b)])
    }
    to_fail = tuple(n for n, (x, y) in passed.items() if x is True and y is False)
    to_pass = tuple(n for n, (x, y) in passed.items() if x is False and y is True)
    return Match(
        side=side,
        before=a,
        after=b,
        row=spec.rows[shown.row].label,
        column=spec.columns[shown.column].label,
        diff=word_diff(a.output, b.output) if a is not None and b is not None else None,
        scores=scores,
        passed=passed,
        flipped=PASS_TO_FAIL if to_fail else FAIL_TO_PASS if to_pass else None,
        flipped_by=to_fail or to_pass,
    )


def _scores(cell: Cell | None) -> dict[str, Any]:
    """A cell's scores: each scorer's value and each grade's score (None where it failed)."""
    if cell is None:
        return {}
    out = {n: None if isinstance(v, ScoreError) else v for n, v in cell.scores.items()}
    out.update({name: grade.score for name, grade in cell.grades.items()})
    return out


def _passes(cell: Cell | None) -> dict[str, bool | None]:
    """A cell's pass/fail: each grade's ``passed`` where it has a threshold, and each scorer
    that answers True or False."""
    if cell is None:
        return {}
    out: dict[str, bool | None] = {
        name: value for name, value in cell.scores.items() if isinstance(value, bool)
    }
    out.update({n: g.passed for n, g in cell.grades.items() if g.passed is not None or g.error})
    return out


def _rank(match: Match) -> int:
    if match.side != BOTH:
        return 3
    return {PASS_TO_FAIL: 0, FAIL_TO_PASS: 1}.get(match.flipped or "", 2)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return float(value)
    return None
