"""Whether a Jupyter kernel runs this process, found out without importing IPython.

A kernel imports IPython before it runs any cell, so when ``IPython`` is not in ``sys.modules``
no kernel runs and nothing is imported to find out (``import workbench`` stays light).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["kernel_shell"]


def kernel_shell() -> Any | None:
    """The IPython shell of the Jupyter kernel running this process, or None (a script, a
    test, a terminal IPython)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return None
    shell = get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None
