"""Word-level diffs of two texts (difflib over words, spaces and punctuation): as runs of kept,
deleted and inserted text, as compact plain text, and as escaped HTML.

Model text is untrusted: the HTML escapes every run, and the text form marks runs the way
``git diff --word-diff=plain`` does (``[-deleted-]{+inserted+}``).
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["DIFF_CSS", "DiffOp", "TextDiff", "word_diff"]

DiffOp = Literal["equal", "delete", "insert"]

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_SPACES = re.compile(r"\s+")

DIFF_CSS = """
.wb-diff { white-space: pre-wrap; overflow-wrap: break-word; }
.wb-diff del, .wb-diff ins { border-radius: 2px; padding: 0 1px; }
.wb-diff del {
  text-decoration: line-through;
  color: var(--jp-content-font-color0, #000);
  background: var(--jp-error-color3, #ffcdd2);
}
.wb-diff ins {
  text-decoration: underline;
  color: var(--jp-content-font-color0, #000);
  background: var(--jp-success-color3, #c8e6c9);
}
body[data-jp-theme-light="false"] .wb-diff del {
  color: var(--jp-error-color3, #ffcdd2);
  background: color-mix(in srgb, var(--jp-error-color1, #d32f2f) 30%, transparent);
}
body[data-jp-theme-light="false"] .wb-diff ins {
  color: var(--jp-success-color3, #c8e6c9);
  background: color-mix(in srgb, var(--jp-success-color1, #388e3c) 30%, transparent);
}
"""
"""The diff's colours: JupyterLab theme variables, dark text on a pale tint in light themes and
a pale tint on a dark wash in dark ones (both well over WCAG AA); struck-through deletions and
underlined insertions, so the diff reads without colour too."""


@dataclass(frozen=True, slots=True)
class TextDiff:
    """What changed from ``before`` to ``after``, word by word.

    Attributes:
        before: the first text.
        after: the second text.
        ops: runs of text in reading order, each ``("equal" | "delete" | "insert", text)``;
            a replaced run is its deletion then its insertion.
    """

    before: str
    after: str
    ops: tuple[tuple[DiffOp, str], ...]

    @property
    def changed(self) -> bool:
        """Whether the texts differ."""
        return self.before != self.after

    @property
    def inserted(self) -> int:
        """How many words were inserted (runs of spaces not counted)."""
        return _words(text for op, text in self.ops if op == "insert")

    @property
    def deleted(self) -> int:
        """How many words were deleted (runs of spaces not counted)."""
        return _words(text for op, text in self.ops if op == "delete")

    def compact(self, context: int = 40) -> str:
        """The diff as one line of text: ``[-deleted-]{+inserted+}``, kept text between changes
        shortened to about ``context`` characters around each (``…`` where cut); ``""`` when
        nothing changed."""
        if not self.changed:
            return ""
        out: list[str] = []
        last = len(self.ops) - 1
        for i, (op, text) in enumerate(self.ops):
            text = _SPACES.sub(" ", text)  # one line: newlines and runs of spaces as one space
            if op == "delete":
                out.append(f"[-{text}-]")
            elif op == "insert":
                out.append(f"{{+{text}+}}")
            else:
                out.append(_elide(text, context, head=i > 0, tail=i < last))
        return "".join(out)

    def __str__(self) -> str:
        return self.compact(context=10**9)

    def to_html(self) -> str:
        """The whole ``after`` text with deletions (``<del>``) and insertions (``<ins>``)
        marked, every run escaped, in a ``<span class="wb-diff">`` styled by ``DIFF_CSS``."""
        tags = {"delete": "del", "insert": "ins"}
        runs = []
        for op, text in self.ops:
            escaped = html.escape(text)
            runs.append(f"<{tags[op]}>{escaped}</{tags[op]}>" if op in tags else escaped)
        return f'<span class="wb-diff">{"".join(runs)}</span>'

    def _repr_html_(self) -> str:
        return f"<style>{DIFF_CSS}</style>{self.to_html()}"

    def to_dict(self) -> dict[str, Any]:
        """The diff as JSON values: ``{"before", "after", "ops": [[op, text], ...]}``."""
        return {"before": self.before, "after": self.after, "ops": [list(o) for o in self.ops]}


def word_diff(before: str, after: str) -> TextDiff:
    """The word-level diff of two texts (``difflib.SequenceMatcher`` over words, runs of
    spaces and single punctuation marks)."""
    a, b = _TOKEN.findall(before), _TOKEN.findall(after)
    ops: list[tuple[DiffOp, str]] = []

    def add(op: DiffOp, tokens: list[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if ops and ops[-1][0] == op:
            ops[-1] = (op, ops[-1][1] + text)
        else:
            ops.append((op, text))

    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return TextDiff(before, after, tuple(_regroup(ops)))


def _regroup(ops: list[tuple[DiffOp, str]]) -> list[tuple[DiffOp, str]]:
    """Deletions before insertions within each changed stretch (difflib may interleave them
    around a kept space), so a replaced phrase reads as one ``[-old-]{+new+}``."""
    out: list[tuple[DiffOp, str]] = []
    i = 0
    while i < len(ops):
        if ops[i][0] == "equal":
            out.append(ops[i])
            i += 1
            continue
        deleted, inserted = [], []
        while i < len(ops) and (ops[i][0] != "equal" or _joins(ops, i)):
            op, text = ops[i]
            if op != "insert":
                deleted.append(text)
            if op != "delete":
                inserted.append(text)
            i += 1
        if deleted:
            out.append(("delete", "".join(deleted)))
        if inserted:
            out.append(("insert", "".join(inserted)))
    return out


def _joins(ops: list[tuple[DiffOp, str]], i: int) -> bool:
    """Whether a kept run is only spaces between two changes (then it belongs to both sides)."""
    return (
        not ops[i][1].strip()
        and 0 < i < len(ops) - 1
        and ops[i - 1][0] != "equal"
        and ops[i + 1][0] != "equal"
    )


def _elide(text: str, context: int, *, head: bool, tail: bool) -> str:
    """Kept text between changes, cut to ``context`` characters next to each change."""
    keep_left = context if head else 0
    keep_right = context if tail else 0
    if len(text) <= keep_left + keep_right + 1:
        return text
    left = text[:keep_left]
    right = text[len(text) - keep_right :] if keep_right else ""
    return f"{left}…{right}"


def _words(runs: Any) -> int:
    return sum(len(re.findall(r"[^\s]+", text)) for text in runs)
