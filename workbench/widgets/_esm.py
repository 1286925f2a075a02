"""The front ends' ES modules, each joined from small pieces in ``_static/``.

anywidget takes ``_esm`` as one string, so each view's JavaScript is written as pieces and
joined here at import. The convention the pieces keep:

- A piece is a plain script of top-level ``function`` and ``const`` declarations: no
  ``import`` and no ``export`` line (``join_esm`` refuses one). The pieces of a view share one
  module scope, so a name is declared in one piece only (``join_esm`` refuses a second).
- The pieces are joined in the order given, each after a ``// ---- <path> ----`` banner, and
  the module ends with ``export default { render };``: the last pieces define ``render``.
- Order matters only for what runs while the module loads (a top-level ``const`` read by
  another top-level ``const``); functions are hoisted, and they run only once ``render`` does.
  Shared helpers come first.

``common.js`` holds the helpers of every view (``h``, ``button``, ``copyText``);
``widget/*.js`` are ``ConversationWidget``'s pieces, ``grid.js`` is ``GridTable``'s.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["GRID_PIECES", "STATIC", "WIDGET_PIECES", "join_esm"]

STATIC = Path(__file__).parent / "_static"

WIDGET_PIECES = (
    "common.js",
    "widget/layout.js",
    "widget/media.js",
    "widget/transcript.js",
    "widget/follow.js",
    "widget/stream.js",
    "widget/tools.js",
    "widget/errors.js",
    "widget/diff.js",
    "widget/panels.js",
    "widget/protocol.js",
    "widget/controls.js",
    "widget/render.js",
)
"""ConversationWidget's front end, in the order joined."""

GRID_PIECES = ("common.js", "grid.js")
"""GridTable's front end, in the order joined."""

_MODULE_LINE = re.compile(r"^\s*(?:import|export)\b.*$", re.MULTILINE)
_TOP_LEVEL_NAME = re.compile(
    r"^(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)", re.MULTILINE
)


def join_esm(pieces: tuple[str, ...], root: Path = STATIC) -> str:
    """One ES module from ``pieces`` (paths under ``root``), joined in order.

    Raises:
        ValueError: a piece has an ``import`` or ``export`` line, or declares a top-level
            name that an earlier piece declared.
    """
    declared: dict[str, str] = {}
    parts = []
    for piece in pieces:
        text = (root / piece).read_text(encoding="utf-8")
        line = _MODULE_LINE.search(text)
        if line:
            raise ValueError(f"{piece}: a piece has no import or export: {line.group(0)!r}")
        for name in _TOP_LEVEL_NAME.findall(text):
            if name in declared:
                raise ValueError(f"{piece}: {name!r} is declared in {declared[name]} already")
            declared[name] = piece
        parts.append(f"// ---- {piece} ----\n{text.strip()}\n")
    parts.append("export default { render };\n")
    return "\n".join(parts)
