"""What a grid will cost before it runs, and the budget that stops it before it spends too much.

Tokens are estimated, not counted: about four characters a token for the prompt (system
prompt, messages, tool schemas and the response format's schema, plus a few tokens a message),
and for the reply the column's ``max_completion_tokens`` or ``max_tokens`` (an upper bound) or,
without either, ``DEFAULT_COMPLETION_TOKENS`` (a guess that the budget raises to the longest
reply seen so far).
Prices come from ``workbench.protocol._pricing.cost_usd`` (the genai-prices table).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._exceptions import WorkbenchError
from ..protocol._pricing import cost_usd
from ..protocol._schema import type_to_response_format
from ..protocol._token_estimate import prompt_estimate
from ..types import CompletionUsage
from ._cells import Cell
from ._spec import GridSpec, Row

__all__ = ["DEFAULT_COMPLETION_TOKENS", "Budget", "GridEstimate", "check_prices", "estimate"]

DEFAULT_COMPLETION_TOKENS = 256
"""The reply length assumed for a column without ``max_completion_tokens``."""


@dataclass(frozen=True)
class GridEstimate:
    """What ``grid.estimate()`` finds before anything is sent.

    Attributes:
        cells: how many requests the grid sends.
        shape: how they multiply (``3 prompts x 2 models x 2 repeats``).
        prompt_tokens: estimated prompt tokens, all cells together.
        completion_tokens: estimated completion tokens (``max_completion_tokens`` where set,
            else ``DEFAULT_COMPLETION_TOKENS`` a reply).
        cost_usd: estimated dollars; None when the price of any model is unknown.
        cost_by_model: estimated dollars per model (None where unknown).
    """

    cells: int
    shape: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float | None
    cost_by_model: dict[str, float | None]

    @property
    def unpriced(self) -> list[str]:
        """The models whose price is unknown (the local model, a server of your own, ...)."""
        return [model for model, cost in self.cost_by_model.items() if cost is None]

    def __repr__(self) -> str:
        lines = [
            f"GridEstimate: {self.cells:,} cells ({self.shape})",
            f"  tokens: ~{self.prompt_tokens:,} prompt, ~{self.completion_tokens:,} completion",
        ]
        if self.cost_usd is not None:
            lines.append(f"  cost: ~${self.cost_usd:,.4f}")
        else:
            known = [f"{m} ~${c:,.4f}" for m, c in self.cost_by_model.items() if c is not None]
            lines.append(
                "  cost: unknown (no price for "
                + ", ".join(self.unpriced)
                + ")"
                + (f"; priced: {', '.join(known)}" if known else "")
            )
        return "\n".join(lines)


def estimate(spec: GridSpec, base_url: str | None) -> GridEstimate:
    """The grid's cells, estimated tokens and cost."""
    prompt_total = completion_total = 0
    by_model: dict[str, float | None] = dict.fromkeys(spec.models, 0.0)
    cells = 0
    for row in spec.rows:
        prompt = prompt_tokens(spec, row)
        for column in spec.columns:
            completion = completion_tokens(column.params)
            prompt_total += prompt * spec.repeats
            completion_total += completion * spec.repeats
            cells += spec.repeats
            price = price_of(column.model, prompt, completion, base_url)
            so_far = by_model[column.model]
            by_model[column.model] = (
                None if price is None or so_far is None else so_far + price * spec.repeats
            )
    known = [cost for cost in by_model.values() if cost is not None]
    total = sum(known) if len(known) == len(by_model) else None
    return GridEstimate(cells, spec.shape, prompt_total, completion_total, total, by_model)


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


def price_of(model: str, prompt: int, completion: int, base_url: str | None) -> float | None:
    """Dollars for ``prompt`` + ``completion`` tokens of ``model``; None when unknown."""

    usage = CompletionUsage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )
    return cost_usd(model, usage, base_url)


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


class Budget:
    """Keeps a run under ``max_cost_usd``: each cell reserves its estimated cost before it is
    sent, and settles for its real cost when it ends; a cell whose reservation would go over the
    limit is not sent, and the run stops there.

    Args:
        limit: the most dollars the run may spend; None for no limit.
        spec: the grid.
        base_url: the server, for prices.
    """

    def __init__(self, limit: float | None, spec: GridSpec, base_url: str | None) -> None:
        self.limit = limit
        self.spent = 0.0
        self.reserved = 0.0
        self.stopped: str | None = None
        self._spec = spec
        self._base_url = base_url
        self._longest: dict[int, int] = {}

    def reserve(self, cell: Cell) -> float:
        """Reserve ``cell``'s estimated cost; returns it (0 without a limit).

        Raises:
            BudgetExceeded: it does not fit; ``stopped`` says why.
        """
        if self.limit is None:
            return 0.0
        if self.stopped is not None:
            raise BudgetExceeded(self.stopped)
        row = self._spec.rows[cell.row]
        params = self._spec.columns[cell.column].params
        completion = completion_tokens(params, self._longest.get(cell.column, 0))
        cost = price_of(cell.model, prompt_tokens(self._spec, row), completion, self._base_url)
        if cost is None or self.spent + self.reserved + cost > self.limit:
            self.stopped = (
                f"skipped: the budget max_cost_usd={self.limit:g} would be exceeded (spent"
                f" ${self.spent:.4f}, ${self.reserved:.4f} in flight, this cell ~${cost or 0:.4f})"
            )
            raise BudgetExceeded(self.stopped)
        self.reserved += cost
        return cost

    def settle(self, cell: Cell, reserved: float) -> None:
        """Replace ``cell``'s reservation with what it cost (the estimate when unknown)."""
        if self.limit is None:
            return
        self.reserved -= reserved
        self.spent += cell.cost_usd if cell.cost_usd is not None else reserved
        usage = cell.usage
        if usage is not None:
            longest = self._longest.get(cell.column, 0)
            self._longest[cell.column] = max(longest, int(usage.completion_tokens or 0))


class BudgetExceeded(Exception):
    """A cell would take the run over its budget (internal: the cell is marked skipped)."""


def _schema_of(response_format: Any) -> Any:

    return type_to_response_format(response_format)
