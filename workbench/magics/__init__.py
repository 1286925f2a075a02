"""IPython magics: ``%%chat``, ``%chat``, ``%%grid`` and ``%wb`` (``%load_ext workbench``).

The top layer beside the widgets; ``workbench.load_ipython_extension`` imports this package
only when ``%load_ext workbench`` runs. Loading is cheap: it imports IPython's magic machinery
and nothing else; the client, the conversation, pandas and the widgets load on first use. Every
error a user can cause (a missing ``{name}``, an invalid parameter, an API error) is raised as
IPython's ``UsageError``: one red line, no traceback through workbench, and the cell counts as
failed so "Run all" stops there. The conversation is left as it was (a failed request keeps the
user message and marks the partial reply, as ``Conversation.send`` does).
"""

from __future__ import annotations

from ._extension import load, unload
from ._question import ChatQuestion
from ._template import fill
from ._workbench_magics import WorkbenchMagics

__all__ = ["ChatQuestion", "WorkbenchMagics", "fill", "load", "unload"]
