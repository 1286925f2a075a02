"""``%chat`` lines that end in a question mark: a token transformer ahead of IPython's help."""

from __future__ import annotations

import tokenize

from IPython.core.inputtransformer2 import EscapedCommand

__all__ = ["ChatQuestion"]

_LAYOUT = (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT, tokenize.ENDMARKER)


class ChatQuestion(EscapedCommand):
    """``%chat What is two plus two?`` sends the question as written.

    IPython reads a line ending in ``?`` or ``??`` as a help request for the name before it
    (``Object `two` not found.``), and its help transformer wins over the magic call on the
    same line. This transformer finds ``%chat`` lines that carry text and end in ``?`` and
    turns them into the magic call first; ``%chat?`` and ``%chat??`` alone still show help.
    Tokens, not regular expressions, find the lines, so a ``%chat`` inside a string is left
    alone.
    """

    priority = 4  # before IPython's HelpEnd (5) at the same place

    @classmethod
    def find(cls, tokens_by_line: list[list[tokenize.TokenInfo]]) -> ChatQuestion | None:
        for line in tokens_by_line:
            ix = 0
            while ix < len(line) and line[ix].type in (tokenize.INDENT, tokenize.DEDENT):
                ix += 1
            words = [t for t in line[ix:] if t.type not in _LAYOUT]
            if (
                len(words) > 3
                and words[0].string == "%"
                and words[1].string == "chat"
                and words[1].start == words[0].end
                and words[-1].string == "?"
                and any(t.string != "?" for t in words[2:])
            ):
                return cls(words[0].start)
        return None
