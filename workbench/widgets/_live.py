"""A view shown live while a cell runs, whose saved output is its finished text.

A live display is usually one output updated in place (``update_display_data``). Jupyter front
ends apply the update, so the saved notebook holds the final version; tools that check a
notebook by replaying its messages see only the first one (nbval 0.11 ignores the update). The
saved ``text/plain`` and the checked one then differ ("(no messages yet)" against the finished
turn), and a plain ``pytest --nbval`` fails.

So a live view is shown as two outputs, neither of which changes once sent:

1. the widget, with an empty ``text/plain``; it streams in JupyterLab through its model;
2. when the work ends in the same cell, a record: the finished text as ``text/plain`` beside a
   widget reference with an empty model id. JupyterLab's widget renderer hides such an output
   (it is how a removed view is saved); nbconvert, GitHub and nbval, which draw no live widget,
   show or compare the text.

Where the work ends after its cell has finished (a grid run in the background), no output can
be added to that cell any more: the first output's ``text/plain`` is updated instead.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WIDGET_VIEW", "LiveDisplay", "show_live"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class LiveDisplay:
    """The two outputs of one live view; ``finish()`` adds the record (see the module).

    Args:
        view: an ipywidgets widget whose ``_repr_mimebundle_`` carries the text to save as
            ``text/plain``.
        shell: the IPython shell of the kernel showing it.
    """

    def __init__(self, view: Any, shell: Any) -> None:
        from IPython.display import display

        self._view = view
        self._shell = shell
        data, metadata = _bundle(view)
        first = {key: value for key, value in data.items() if key != "text/plain"}
        self._handle = display(  # type: ignore[no-untyped-call]
            {**first, "text/plain": ""}, raw=True, metadata=metadata, display_id=True
        )
        self._in_cell = True
        self._finished = False
        shell.events.register("post_run_cell", self._cell_ended)

    def _cell_ended(self, *args: Any) -> None:
        self._in_cell = False
        self._shell.events.unregister("post_run_cell", self._cell_ended)

    def finish(self) -> None:
        """Save the view's finished text: as a record output while its cell still runs, else
        as an update of the first output. Only the first call does anything."""
        if self._finished:
            return
        self._finished = True
        data, metadata = _bundle(self._view)
        if not self._in_cell:
            if self._handle is not None:
                self._handle.update(data, raw=True, metadata=metadata)
            return
        from IPython.display import display

        reference = {**data.get(WIDGET_VIEW, {}), "model_id": ""}
        record = {WIDGET_VIEW: reference, "text/plain": data.get("text/plain", "")}
        display(record, raw=True, metadata=metadata)  # type: ignore[no-untyped-call]


def show_live(view: Any) -> LiveDisplay | None:
    """Show ``view`` live in the running kernel's current cell (see the module); None where no
    kernel runs (a terminal or a script), which shows nothing."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return LiveDisplay(view, shell)


def _bundle(view: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    bundle = view._repr_mimebundle_()
    if bundle is None:
        return {}, {}
    if isinstance(bundle, tuple):
        data, metadata = bundle
        return dict(data), dict(metadata or {})
    return dict(bundle), {}
