"""What of a batch run fits its grid's ``max_cost_usd``: each cell priced at the Batch API's
price, and the cells past the budget ``skipped`` before anything is sent, as a live run skips
them."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from ._cells import ANSWERED, Cell
from ._estimate import Budget, BudgetExceeded

if TYPE_CHECKING:
    from ._grid import Grid

__all__ = ["skip_past_budget"]


def skip_past_budget(grid: Grid, cells: list[Cell], submitted: Collection[str]) -> list[Cell]:
    """Mark ``skipped`` the ``cells`` a batch run of ``grid`` would send past its budget, in
    order (from the first that does not fit on, as a live run stops there); returns them.

    Each cell reserves its estimate as a live run's does (``Budget.reserve``: the reply at the
    batch price, its judges at the live price), after what the grid's answered cells cost.
    Cells in ``submitted`` (the custom ids of batches in the log, already sent) are counted
    first and never skipped: their batch answers them whatever the budget says.
    """
    if grid.max_cost_usd is None:
        return []
    budget = Budget(grid.max_cost_usd, grid._spec, grid._base_url, batch=True)
    sending = {id(cell) for cell in cells}
    for cell in grid.cells:  # what the grid already spent
        if cell.status in ANSWERED and id(cell) not in sending:
            budget.settle(cell, (0.0, 0.0))
    new = []
    for cell in cells:
        if str(cell.key) in submitted:
            cost, judges = budget.cell_cost(cell)
            budget.hold((cost or 0.0) + (judges or 0.0))
        else:
            new.append(cell)
    skipped = []
    for cell in new:
        try:
            budget.reserve(cell)
        except BudgetExceeded as exc:
            cell.status, cell.error = "skipped", str(exc)
            skipped.append(cell)
    return skipped
