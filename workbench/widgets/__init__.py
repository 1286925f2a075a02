"""The notebook widgets of workbench: the only package that imports ipywidgets or anywidget.

``workbench.widgets.widget(chat)`` (or ``display(ConversationWidget(chat))``) shows a
conversation live; where no widget front end renders, the display falls back to the text
transcript of ``transcript_text``.
"""

from __future__ import annotations

from ._grid_view import GridView, grid_text, grid_view
from ._live import LiveDisplay, show_live
from ._plain_text import transcript_text
from ._widget import ConversationWidget, widget

__all__ = [
    "ConversationWidget",
    "GridView",
    "LiveDisplay",
    "grid_text",
    "grid_view",
    "show_live",
    "transcript_text",
    "widget",
]
