"""pandas, numpy and pyarrow, imported on first use (`import workbench` stays without them)."""

from __future__ import annotations

from typing import Any

__all__ = ["numpy", "pandas", "pyarrow"]


def pandas() -> Any:
    """The pandas module."""
    import pandas  # type: ignore[import-untyped]

    return pandas


def numpy() -> Any:
    """The numpy module (pandas depends on it)."""
    import numpy

    return numpy


def pyarrow() -> Any | None:
    """The pyarrow module, or None when it is not installed."""
    try:
        import pyarrow  # type: ignore[import-untyped]
    except ImportError:
        return None
    return pyarrow


def require_pyarrow(what: str) -> Any:
    """The pyarrow module, or an ``ImportError`` saying that ``what`` needs it and how to get it."""
    module = pyarrow()
    if module is None:
        raise ImportError(f"{what} needs pyarrow: install it with `pip install pyarrow`")
    return module
