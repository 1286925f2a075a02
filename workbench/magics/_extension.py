"""``%load_ext workbench`` and ``%unload_ext workbench``: the magics and the ``?`` transformer
registered with a shell, and removed again."""

from __future__ import annotations

from typing import Any

from ._question import ChatQuestion
from ._workbench_magics import WorkbenchMagics

__all__ = ["load", "unload"]


def load(shell: Any) -> None:
    """Register the magics with ``shell`` (``%load_ext workbench``), and the transformer that
    lets ``%chat`` end in a question mark."""
    shell.register_magics(WorkbenchMagics)
    transformers = shell.input_transformer_manager.token_transformers
    if ChatQuestion not in transformers:
        transformers.insert(0, ChatQuestion)


def unload(shell: Any) -> None:
    """Remove the magics from ``shell`` (``%unload_ext workbench``)."""
    manager = shell.magics_manager
    for kind, names in (("line", ("chat", "wb")), ("cell", ("chat", "grid"))):
        for name in names:
            manager.magics[kind].pop(name, None)
    manager.registry.pop("WorkbenchMagics", None)
    transformers = shell.input_transformer_manager.token_transformers
    if ChatQuestion in transformers:
        transformers.remove(ChatQuestion)
