"""workbench: a Jupyter workbench for chat models, on a typed Chat Completions client."""

from __future__ import annotations

__version__ = "0.1.0"
