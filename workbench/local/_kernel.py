"""Whether a Jupyter kernel runs this process, and showing a note in it, without importing IPython.

A kernel imports IPython before it runs any cell, so when ``IPython`` is not in ``sys.modules``
no kernel runs and nothing is imported to find out (``import workbench`` stays light).
"""

from __future__ import annotations

import html
import sys
from typing import Any

__all__ = ["display_note", "kernel_shell"]


def kernel_shell() -> Any | None:
    """The IPython shell of the Jupyter kernel running this process, or None (a script, a
    test, a terminal IPython)."""
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return None
    shell = get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


# JupyterLab's theme variables (with fallbacks for front ends without them): an information
# note in the theme's colours, not the red of a stderr stream.
_STYLE = (
    "border-left: 3px solid var(--jp-info-color0, #2196f3);"
    " background: var(--jp-layout-color2, rgba(127, 127, 127, 0.1));"
    " color: var(--jp-ui-font-color1, inherit);"
    " font-family: var(--jp-ui-font-family, sans-serif);"
    " font-size: var(--jp-ui-font-size1, 13px);"
    " padding: 4px 8px; margin: 2px 0;"
)


def note_html(text: str) -> str:
    """``text`` as a small HTML note: escaped static text in one styled block, no script."""
    return f'<div class="workbench-note" style="{_STYLE}">{html.escape(text)}</div>'


def display_note(shell: Any, text: str) -> None:
    """Show ``text`` in the kernel's current output as an informational note (HTML, with the
    same words as ``text/plain``): what ``IPython.display.display`` does with a raw bundle."""
    bundle = {"text/plain": text, "text/html": note_html(text)}
    shell.display_pub.publish(data=bundle, metadata={})
