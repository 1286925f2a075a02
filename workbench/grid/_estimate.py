"""What a grid will cost before it runs, and the budget that stops it before it spends too much.

Tokens are estimated, not counted: about four characters a token for the prompt (system
prompt, messages, tool schemas and the response format's schema, plus a few tokens a message),
and for the reply the column's ``max_completion_tokens`` or ``max_tokens`` (an upper bound) or,
without either, ``DEFAULT_COMPLETION_TOKENS`` (a guess that the budget raises to the longest
reply seen so far).
Prices come from ``workbench.protocol._pricing.cost_usd`` (the genai-prices table).

A grid with model graders also pays its judges: each model grader's ``judge_requests()`` x
``judge_repeats`` per cell, each reading the grader's own prompt (``judge_prompt_tokens``: its
messages, rubric included, filled with the row's vars and a reply as long as the cell's) and
answering its ``max_tokens``; a grader that cannot tell its prompt is assumed to read the cell's
prompt and reply plus ``JUDGE_INSTRUCTION_TOKENS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._exceptions import WorkbenchError
from ..protocol._pricing import cost_usd
from ..protocol._schema import type_to_response_format
from ..protocol._token_estimate import prompt_estimate, text_tokens
from ..types import CompletionUsage
from ._cells import ANSWERED, Cell
from ._spec import GridSpec, Row

__all__ = [
    "DEFAULT_COMPLETION_TOKENS",
    "JUDGE_INSTRUCTION_TOKENS",
    "Budget",
    "GridEstimate",
    "check_budget",
    "check_prices",
    "check_start",
    "estimate",
    "judge_cell_estimate",
    "judge_models",
    "reply_length",
]

DEFAULT_COMPLETION_TOKENS = 256
"""The reply length assumed for a column without ``max_completion_tokens``."""
JUDGE_INSTRUCTION_TOKENS = 400
"""The tokens assumed for a judge's own instructions (its rubric), besides the cell's prompt
and reply that its prompt quotes, for a grader that cannot tell its prompt's length."""


@dataclass(frozen=True)
class GridEstimate:
    """What ``grid.estimate()`` finds before anything is sent.

    Attributes:
        cells: how many requests the grid sends.
        shape: how they multiply (``3 prompts x 2 models x 2 repeats``).
        prompt_tokens: estimated prompt tokens, all cells together.
        completion_tokens: estimated completion tokens (``max_completion_tokens`` where set,
            else ``DEFAULT_COMPLETION_TOKENS`` a reply).
        cost_usd: estimated dollars, judges included; None when the price of any model (or
            judge model) is unknown.
        cost_by_model: estimated dollars per model, judge models included (None where
            unknown).
        judge_requests: how many requests the model graders send to their judges
            (``judge_requests()`` x ``judge_repeats`` per cell).
        judge_tokens: their estimated tokens, prompt and completion together.
        judge_cost_usd: their estimated dollars (0 without model graders; None when a judge
            model's price is unknown).
        batch: the replies are priced at the Batch API's price (``estimate(batch=True)``);
            the judges are asked live.
    """

    cells: int
    shape: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    cost_by_model: dict[str, float | None]
    judge_requests: int = 0
    judge_tokens: int = 0
    judge_cost_usd: float | None = 0.0
    batch: bool = False

    @property
    def unpriced(self) -> list[str]:
        """The models whose price is unknown (the local model, a server of your own, ...)."""
        return [model for model, cost in self.cost_by_model.items() if cost is None]

    def __repr__(self) -> str:
        lines = [
            f"GridEstimate: {self.cells:,} cells ({self.shape})",
            f"  tokens: ~{self.prompt_tokens:,} prompt, ~{self.completion_tokens:,} completion",
        ]
        if self.judge_requests:
            judged = "unknown" if self.judge_cost_usd is None else f"~${self.judge_cost_usd:,.4f}"
            lines.append(
                f"  judges: {self.judge_requests:,} requests, ~{self.judge_tokens:,} tokens,"
                f" cost {judged}"
            )
        # Said on the line itself: an estimate at the batch price and one at the live price
        # look alike otherwise, and a notebook often shows both.
        priced = " (replies at the Batch API's price)" if self.batch else ""
        if self.cost_usd is not None:
            lines.append(f"  cost: ~${self.cost_usd:,.4f}{priced}")
        else:
            known = [f"{m} ~${c:,.4f}" for m, c in self.cost_by_model.items() if c is not None]
            lines.append(
                "  cost: unknown (no price for "
                + ", ".join(self.unpriced)
                + ")"
                + (f"; priced: {', '.join(known)}{priced}" if known else "")
            )
        return "\n".join(lines)


def estimate(spec: GridSpec, base_url: str | None, *, batch: bool = False) -> GridEstimate:
    """The grid's cells, estimated tokens and cost (its judges' included); ``batch``: the
    cells' replies at the Batch API's price (the judges are asked live)."""
    prompt_total = completion_total = 0
    by_model: dict[str, float | None] = dict.fromkeys(spec.models, 0.0)
    judged: dict[str, float | None] = {}
    judge_requests = judge_tokens = 0
    cells = 0
    for row in spec.rows:
        prompt = prompt_tokens(spec, row)
        for column in spec.columns:
            completion = completion_tokens(column.params)
            prompt_total += prompt * spec.repeats
            completion_total += completion * spec.repeats
            cells += spec.repeats
            price = price_of(column.model, prompt, completion, base_url, batch=batch)
            _add(by_model, column.model, price, spec.repeats)
            requests, tokens, costs = judge_cell_estimate(spec, row.index, column.index, base_url)
            judge_requests += requests * spec.repeats
            judge_tokens += tokens * spec.repeats
            for model, cost in costs.items():
                _add(judged, model, cost, spec.repeats)
    judge_total = _total(judged) if judged else 0.0
    for model, cost in judged.items():
        _add(by_model, model, cost, 1)
    total = _total(by_model)
    return GridEstimate(
        cells,
        spec.shape,
        prompt_total,
        completion_total,
        total,
        by_model,
        judge_requests,
        judge_tokens,
        judge_total,
        batch,
    )


def _add(costs: dict[str, float | None], model: str, cost: float | None, times: int) -> None:
    so_far = costs.get(model, 0.0)
    costs[model] = None if cost is None or so_far is None else so_far + cost * times


def _total(costs: Mapping[str, float | None]) -> float | None:
    known = [cost for cost in costs.values() if cost is not None]
    return sum(known) if len(known) == len(costs) else None


def judge_models(spec: GridSpec) -> list[str]:
    """The judge models of the grid's model graders, once each."""
    graders = spec.graders
    return list(dict.fromkeys(m for g in graders if g.uses_model for m, _ in g.judge_requests()))


def judge_cell_estimate(
    spec: GridSpec,
    row: int,
    column: int,
    base_url: str | None,
    longest_seen: int = 0,
    reply_tokens: int | None = None,
) -> tuple[int, int, dict[str, float | None]]:
    """The judge requests of one cell at ``row`` and ``column`` (every model grader, every
    judge repeat), their tokens, and their dollars by judge model (None where unknown).

    Each judge prompt is the grader's own (``Grader.judge_prompt_tokens``: its messages filled
    with the row's vars and a reply of ``reply_tokens``, else the column's longest reply); a
    grader that cannot tell is assumed to read the cell's prompt and reply plus
    ``JUDGE_INSTRUCTION_TOKENS``."""
    by_model: dict[str, float | None] = {}
    requests = tokens = 0
    if not any(g.uses_model for g in spec.graders):
        return requests, tokens, by_model
    the_row = spec.rows[row]
    if reply_tokens is None:
        reply_tokens = completion_tokens(spec.columns[column].params, longest_seen)
    fallback: int | None = None
    repeats = spec.judge_repeats
    for grader in spec.graders:
        if not grader.uses_model:
            continue
        asks = grader.judge_requests()
        prompts = list(grader.judge_prompt_tokens(the_row.vars, reply_tokens))
        prompts += [None] * (len(asks) - len(prompts))
        for (model, max_tokens), sent in zip(asks, prompts, strict=False):
            if sent is None:
                if fallback is None:
                    fallback = prompt_tokens(spec, the_row) + reply_tokens
                    fallback += JUDGE_INSTRUCTION_TOKENS
                sent = fallback
            _add(by_model, model, price_of(model, sent, max_tokens, base_url), repeats)
            requests += repeats
            tokens += (sent + max_tokens) * repeats
    return requests, tokens, by_model


def prompt_tokens(spec: GridSpec, row: Row) -> int:
    """About how many prompt tokens ``row`` costs with the grid's system prompt and tools."""
    messages = list(row.messages)
    if row.system:
        messages.insert(0, {"role": "system", "content": row.system})
    extra = [tool.to_param() for tool in spec.tools]
    if spec.response_format is not None:
        extra.append(_schema_of(spec.response_format))
    return prompt_estimate(messages, extra)


def completion_tokens(params: Mapping[str, Any], longest_seen: int = 0) -> int:
    """The completion tokens assumed for a reply with ``params`` (all ``n`` choices)."""
    n = int(params.get("n") or 1)
    limits = [params.get(name) for name in ("max_completion_tokens", "max_tokens")]
    known = [int(limit) for limit in limits if limit is not None]
    if known:
        return min(known) * n  # a server honours one or the other: the lower bounds the reply
    return max(DEFAULT_COMPLETION_TOKENS, longest_seen) * n


def price_of(
    model: str, prompt: int, completion: int, base_url: str | None, *, batch: bool = False
) -> float | None:
    """Dollars for ``prompt`` + ``completion`` tokens of ``model`` (``batch``: at the Batch
    API's price); None when unknown."""

    usage = CompletionUsage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )
    return cost_usd(model, usage, base_url, batch=batch)


def check_prices(models: Iterable[str], base_url: str | None) -> None:
    """Fail before anything is sent when a budget is set but a model has no known price.

    Raises:
        WorkbenchError: naming the models without a price.
    """
    unknown = [model for model in models if price_of(model, 1000, 1000, base_url) is None]
    if unknown:
        where = base_url or "this client"
        raise WorkbenchError(
            f"max_cost_usd is set, but the price of {', '.join(map(repr, unknown))} at {where}"
            " is unknown (genai-prices does not list it; the local model and servers on this"
            " machine have no price), so the budget cannot be kept: leave out max_cost_usd or"
            " choose priced models"
        )


def check_budget(
    spec: GridSpec,
    grid_cells: Iterable[Cell],
    cells: Iterable[Cell],
    limit: float | None,
    base_url: str | None,
    *,
    batch: bool = False,
) -> None:
    """A run of ``cells`` with model graders does not start past its budget: ``check_start``,
    after what the answered ``grid_cells`` (and their judges) cost; nothing without a limit or
    a model grader."""
    if limit is None or not any(g.uses_model for g in spec.graders):
        return
    spent = sum(
        (c.cost_usd or 0.0) + (c.judge_cost_usd or 0.0) for c in grid_cells if c.status in ANSWERED
    )
    check_start(spec, cells, spent, limit, base_url, batch=batch)


def check_start(
    spec: GridSpec,
    cells: Iterable[Cell],
    spent: float,
    limit: float,
    base_url: str | None,
    *,
    judges_only: bool = False,
    batch: bool = False,
) -> None:
    """Refuse to start a run with model graders whose estimate, judges included, is past the
    budget: a judge grid stopped half way would give pass rates over whichever cells ran.

    Args:
        spec: the grid.
        cells: the cells the run would send (or, ``judges_only``, grade).
        spent: what the grid's answered cells (and their judges) already cost.
        limit: ``max_cost_usd``.
        base_url: the server, for prices.
        judges_only: the cells are answered already (read from Batch API output or an eval's
            samples): only their judges are estimated, for the replies they hold.
        batch: the replies go through the Batch API, at its price (the judges are asked live).

    Raises:
        WorkbenchError: the estimate is over the budget, with its reply and judge parts.
    """
    replies = judges = 0.0
    for cell in cells:
        if judges_only:
            judging = judge_cell_estimate(
                spec, cell.row, cell.column, base_url, reply_tokens=reply_length(cell)
            )
            judges += _total(judging[2]) or 0.0
            continue
        row = spec.rows[cell.row]
        completion = completion_tokens(spec.columns[cell.column].params)
        reply = price_of(cell.model, prompt_tokens(spec, row), completion, base_url, batch=batch)
        replies += reply or 0.0
        judges += _total(judge_cell_estimate(spec, cell.row, cell.column, base_url)[2]) or 0.0
    if spent + replies + judges > limit:
        raise WorkbenchError(
            f"not started: the estimate is past the budget max_cost_usd={limit:g}: "
            + ("" if judges_only else f"replies ~${replies:.4f} + ")
            + f"judges ~${judges:.4f}"
            + (f" + ${spent:.4f} already spent" if spent else "")
            + ("" if judges_only else f" (see grid.estimate({'batch=True' if batch else ''}))")
            + "; raise max_cost_usd, or grade fewer cells or with fewer judge_repeats"
        )


class Budget:
    """Keeps a run under ``max_cost_usd``: each cell reserves its estimated cost (its reply's
    and its judges') before it is sent, and settles for its real cost when it is graded; a cell
    whose reservation would go over the limit is not sent, and the run stops there. A judge
    request that would take a cell's judging past its reservation is sent only while the budget
    has room for the excess.

    Args:
        limit: the most dollars the run may spend; None for no limit.
        spec: the grid.
        base_url: the server, for prices.
        batch: the replies go through the Batch API, at its price (the judges are asked live).
    """

    def __init__(
        self, limit: float | None, spec: GridSpec, base_url: str | None, *, batch: bool = False
    ) -> None:
        self.limit = limit
        self.spent = 0.0
        self.reserved = 0.0
        self.stopped: str | None = None
        self._spec = spec
        self._base_url = base_url
        self._batch = batch
        self._longest: dict[int, int] = {}

    def cell_cost(self, cell: Cell) -> tuple[float | None, float | None]:
        """``cell``'s estimated dollars before it is sent: its reply's and its judges' (None
        where a price is unknown)."""
        row = self._spec.rows[cell.row]
        params = self._spec.columns[cell.column].params
        longest = self._longest.get(cell.column, 0)
        completion = completion_tokens(params, longest)
        prompt = prompt_tokens(self._spec, row)
        cost = price_of(cell.model, prompt, completion, self._base_url, batch=self._batch)
        _, _, judged = judge_cell_estimate(
            self._spec, cell.row, cell.column, self._base_url, longest
        )
        return cost, _total(judged) if judged else 0.0

    def reserve(self, cell: Cell) -> tuple[float, float]:
        """Reserve ``cell``'s estimated cost; returns it, as the reply's part and the judges'
        part ((0, 0) without a limit).

        Raises:
            BudgetExceeded: it does not fit; ``stopped`` says why.
        """
        if self.limit is None:
            return 0.0, 0.0
        if self.stopped is not None:
            raise BudgetExceeded(self.stopped)
        cost, judges = self.cell_cost(cell)
        total = None if cost is None or judges is None else cost + judges
        if cost is None or judges is None or total is None or self.over(total):
            judging = f" with its judges ~${judges:.4f}" if judges else ""
            self.stopped = (
                f"skipped: the budget max_cost_usd={self.limit:g} would be exceeded (spent"
                f" ${self.spent:.4f}, ${self.reserved:.4f} in flight, this cell"
                f" ~${total or 0:.4f}{judging})"
            )
            raise BudgetExceeded(self.stopped)
        self.reserved += total
        return cost, judges

    def reserve_judges(self, cell: Cell) -> float:
        """Reserve the estimated cost of judging an answered ``cell`` (read from Batch API
        output or an eval's samples: its reply is paid for); returns it (0 without a limit).

        Raises:
            BudgetExceeded: it does not fit, or the budget has stopped; ``stopped`` says why.
        """
        if self.limit is None:
            return 0.0
        if self.stopped is None:
            _, _, judged = judge_cell_estimate(
                self._spec, cell.row, cell.column, self._base_url, reply_tokens=reply_length(cell)
            )
            judges = _total(judged) if judged else 0.0
            if judges is not None and not self.over(judges):
                self.reserved += judges
                return judges
            self.stopped = (
                f"not graded: the budget max_cost_usd={self.limit:g} would be exceeded (spent"
                f" ${self.spent:.4f}, ${self.reserved:.4f} in flight, this cell's judges"
                f" ~${judges or 0:.4f})"
            )
        raise BudgetExceeded(self.stopped)

    def over(self, cost: float) -> bool:
        """Whether ``cost`` more would take the run past its limit (beyond rounding)."""
        if self.limit is None:
            return False
        return self.spent + self.reserved + cost > self.limit + _ROUNDING

    def judge_cost(self, model: str, prompt: int, max_tokens: int) -> float | None:
        """A judge request's estimated dollars; None when its price is unknown."""
        return price_of(model, prompt, max_tokens, self._base_url)

    def allow_judge(self, model: str, cost: float | None, uncovered: float) -> float:
        """Let a judge request of estimated ``cost`` go, or refuse it. ``uncovered`` is how far
        it takes its cell's judging (spent, in flight, and this request) past what the cell
        holds; that much more is held in the budget (``reserved``) and returned. A request
        within its cell's reservation is refused too once the run has spent past its limit
        (judges that cost more than estimated).

        Raises:
            BudgetExceeded: the budget has no room for the request.
        """
        if self.limit is None:
            return 0.0
        more = max(0.0, uncovered)
        if cost is not None and not self.over(more):
            self.reserved += more
            return more
        message = (
            f"not sent: the budget max_cost_usd={self.limit:g} would be exceeded by this judge"
            f" request to {model} (~${cost or 0:.4f}; spent ${self.spent:.4f},"
            f" ${self.reserved:.4f} in flight)"
        )
        self.stopped = self.stopped or f"skipped: {message}"
        raise BudgetExceeded(message)

    def hold(self, dollars: float) -> None:
        """Hold ``dollars`` more as in flight (a cell's judging past its reservation)."""
        if self.limit is not None:
            self.reserved += dollars

    def release(self, dollars: float) -> None:
        """Let go of ``dollars`` held by ``hold`` or ``allow_judge`` (the cell settles)."""
        if self.limit is not None:
            self.reserved -= dollars

    def settle(self, cell: Cell, reserved: tuple[float, float]) -> None:
        """Replace ``cell``'s reservation with what it cost, reply and judges (the estimate
        where unknown)."""
        if self.limit is None:
            return
        reply, judges = reserved
        self.reserved -= reply + judges
        self.spent += cell.cost_usd if cell.cost_usd is not None else reply
        self.spent += cell.judge_cost_usd or 0.0  # None: no judge was asked
        usage = cell.usage
        if usage is not None:
            longest = self._longest.get(cell.column, 0)
            self._longest[cell.column] = max(longest, int(usage.completion_tokens or 0))


_ROUNDING = 1e-12
"""Dollars a sum may pass the limit by through floating-point rounding alone."""


def reply_length(cell: Cell) -> int:
    """About how many tokens an answered ``cell``'s reply is (its usage, else its text)."""
    usage = cell.usage
    counted = int(usage.completion_tokens or 0) if usage is not None else 0
    return max(counted, text_tokens(len(cell.output or "")))


class BudgetExceeded(Exception):
    """A cell would take the run over its budget (internal: the cell is marked skipped)."""


def _schema_of(response_format: Any) -> Any:

    return type_to_response_format(response_format)
