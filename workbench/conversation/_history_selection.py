"""``History.selected``: which child each message's branch continues with, as a dict that
tells its history when a choice changes."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._history import History

__all__ = ["Selection"]


class Selection(dict[str | None, str | None]):
    """``History.selected``: a dict that tells its history when a branch choice changes."""

    def __init__(self, history: History, items: Mapping[str | None, str | None]) -> None:
        super().__init__(items)
        self._history = weakref.ref(history)

    def _changed(self, parent: str | None) -> None:
        history = self._history()
        if history is not None:
            history._chosen(parent)

    def _replaced(self) -> None:
        history = self._history()
        if history is not None:
            history._rebuild_path(all_choices=True)

    def __setitem__(self, parent: str | None, child: str | None) -> None:
        if parent in self and self[parent] == child:
            return
        super().__setitem__(parent, child)
        self._changed(parent)

    def __delitem__(self, parent: str | None) -> None:
        super().__delitem__(parent)
        self._changed(parent)

    def setdefault(self, parent: str | None, child: str | None = None) -> str | None:
        if parent in self:
            return self[parent]
        self[parent] = child
        return child

    def pop(self, parent: str | None, *default: Any) -> Any:
        had = parent in self
        value = super().pop(parent, *default)
        if had:
            self._changed(parent)
        return value

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._replaced()

    def popitem(self) -> tuple[str | None, str | None]:
        item = super().popitem()
        self._replaced()
        return item

    def clear(self) -> None:
        super().clear()
        self._replaced()

    def __reduce__(self) -> Any:
        return dict, (dict(self),)
