"""Code and JSON as highlighted HTML (Pygments' token classes), for the transcript's HTML.

The output is not sanitized here: it goes into a message's HTML, which ``_render`` sanitizes
as a whole.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic
import pydantic_core
from pygments import highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexer import Lexer  # type: ignore[import-untyped]
from pygments.lexers import TextLexer, get_lexer_by_name  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

__all__ = ["highlight_code", "is_json", "json_block", "partial_json_preview", "pretty_json"]

_FORMATTER = HtmlFormatter(nowrap=True)


def _lexer(language: str) -> Lexer:
    try:
        return get_lexer_by_name(language) if language else TextLexer()
    except ClassNotFound:
        return TextLexer()


def highlight_code(code: str, language: str = "") -> str:
    """Code as a highlighted ``<pre class="wb-code">`` block (Pygments' CSS classes)."""
    body = highlight(code, _lexer(language.strip().split(" ")[0]), _FORMATTER)
    return f'<pre class="wb-code"><code>{body}</code></pre>'


def json_block(text: str) -> str:
    """JSON text as a highlighted block."""
    return highlight_code(text, "json")


def pretty_json(value: Any) -> str:
    """``value`` as indented JSON (pydantic models and other objects made JSON-safe first)."""
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json")
    return json.dumps(pydantic_core.to_jsonable_python(value, fallback=repr), indent=2,
                      ensure_ascii=False)  # fmt: skip


def partial_json_preview(text: str) -> str:
    """Pretty-print JSON that may still be streaming (cut anywhere); the raw text if it is not
    JSON at all."""
    if not text.strip():
        return text
    try:
        value = pydantic_core.from_json(text, allow_partial="trailing-strings")
    except ValueError:
        return text
    return json.dumps(value, indent=2, ensure_ascii=False)


def is_json(text: str) -> bool:
    """Whether ``text`` is one whole JSON value (and not nested too deeply to show as JSON)."""
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True
