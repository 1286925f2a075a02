"""``{name}`` fields of a magic's text, filled from the notebook's variables."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from IPython.core.error import UsageError

__all__ = ["fill"]


class _Formatter(string.Formatter):
    """``str.format`` over the notebook's namespace, with a clear error for a missing name."""

    def __init__(self, namespace: Mapping[str, Any]) -> None:
        self.namespace = namespace

    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, int) or not key:
            raise UsageError("'{}' needs a variable name inside; write {{ and }} for braces")
        if key not in self.namespace:
            raise UsageError(
                f"{{{key}}}: no variable {key!r} in the notebook (write {{{{ and }}}} for "
                "literal braces)"
            )
        return self.namespace[key]


def fill(template: str, namespace: Mapping[str, Any]) -> str:
    """``template`` with each ``{name}`` (or ``{name.attr}``, ``{name[0]}``, ``{name:.2f}``)
    replaced from ``namespace``; ``{{`` and ``}}`` are literal braces.

    Raises:
        UsageError: a name that is not in the namespace, or unbalanced braces.
    """
    try:
        return _Formatter(namespace).vformat(template, (), {})
    except UsageError:
        raise
    except (ValueError, IndexError, KeyError, AttributeError) as exc:
        raise UsageError(f"in the {{...}} fields: {exc} (write {{{{ and }}}} for braces)") from None
