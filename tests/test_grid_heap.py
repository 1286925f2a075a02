"""A grid run sets the heap alive before it aside from the garbage collector (``_heap``): frozen
while cells run, handed back after, a freeze that is not the grid's left alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from tests._grid import local_client
from workbench import Grid
from workbench.grid._heap import set_aside


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def frozen_while_scored() -> tuple[Grid, list[int]]:
    seen: list[int] = []

    def frozen(text: str) -> int:  # a scorer runs on the run's loop, between the cells
        seen.append(gc.get_freeze_count())
        return len(text)

    client = local_client()[0]
    return Grid(["Say hi", "Say bye"], client=client, scorers={"frozen": frozen}), seen


def test_a_run_freezes_the_heap_and_hands_it_back() -> None:
    grid, seen = frozen_while_scored()
    result = grid.run(display=False)
    assert result.counts == {"done": 2}
    assert len(seen) == 2 and min(seen) > 1000  # the imports, at least
    assert gc.get_freeze_count() == 0


def test_a_freeze_that_is_not_the_grids_is_kept() -> None:
    gc.freeze()
    before = gc.get_freeze_count()
    grid, seen = frozen_while_scored()
    grid.run(display=False)
    assert seen and gc.get_freeze_count() >= before > 0


def test_overlapping_runs_hand_the_heap_back_as_the_last_ends() -> None:
    with set_aside():
        assert gc.get_freeze_count() > 0
        with set_aside():
            pass
        assert gc.get_freeze_count() > 0  # the outer run still runs
    assert gc.get_freeze_count() == 0


def test_a_disabled_collector_is_left_alone() -> None:
    gc.disable()
    try:
        with set_aside():
            assert gc.get_freeze_count() == 0
    finally:
        gc.enable()
