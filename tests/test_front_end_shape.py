"""The front ends keep the package's shape: small JavaScript files of short functions, joined
into one module per view by ``workbench/widgets/_esm.py``.

Every ``.js`` file under ``workbench/widgets/_static/`` may be at most 500 lines, and every
``function`` in it at most 80 (from the ``function`` line to the line of its closing brace). The
scan blanks out comments, strings, template literals and regular expressions, then matches
braces: enough for the plain style the pieces are written in. The joined modules must keep
the loader's convention and load in Chromium.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from workbench.widgets._esm import GRID_PIECES, STATIC, WIDGET_PIECES, join_esm

FILE_LINES = 500
FUNCTION_LINES = 80

# After one of these (or at the start), a slash opens a regular expression, not a division.
_REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^")
_REGEX_WORDS = ("return", "typeof", "case", "of", "in")


def _skip_string(source: str, i: int, quote: str) -> int:
    """The index just after the string, template or regular expression opened at ``i``."""
    i += 1
    in_class = False
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if quote == "/" and c == "[":
            in_class = True
        elif quote == "/" and c == "]":
            in_class = False
        elif c == quote and not in_class:
            return i + 1
        elif c == "\n" and quote in "'\"/":
            return i  # an unclosed literal ends with its line
        i += 1
    return i


def _opens_regex(code: list[str]) -> bool:
    before = "".join(code[-12:]).rstrip()
    if not before or before[-1] in _REGEX_BEFORE:
        return True
    return any(re.search(rf"\b{word}$", before) for word in _REGEX_WORDS)


def blank_literals(source: str) -> str:
    """``source`` with comments and literals turned to spaces (line breaks kept)."""
    code: list[str] = []
    i = 0
    while i < len(source):
        c, pair = source[i], source[i : i + 2]
        if pair == "//":
            end = source.find("\n", i)
            end = len(source) if end < 0 else end
        elif pair == "/*":
            end = source.find("*/", i + 2)
            end = len(source) if end < 0 else end + 2
        elif c in "'\"`" or (c == "/" and _opens_regex(code)):
            end = _skip_string(source, i, c)
        else:
            code.append(c)
            i += 1
            continue
        code.extend(ch if ch == "\n" else " " for ch in source[i:end])
        i = end
    return "".join(code)


def _matching(code: str, i: int, open_: str, close: str) -> int:
    depth = 0
    for j in range(i, len(code)):
        if code[j] == open_:
            depth += 1
        elif code[j] == close:
            depth -= 1
            if depth == 0:
                return j
    raise ValueError(f"unbalanced {open_}{close} from offset {i}")


def function_sizes(source: str) -> dict[str, int]:
    """Name (``<anonymous>@line`` for a function expression) -> lines, of every ``function``."""
    code = blank_literals(source)
    sizes: dict[str, int] = {}
    for match in re.finditer(r"\bfunction\b\s*\*?\s*([A-Za-z_$][\w$]*)?\s*\(", code):
        close = _matching(code, match.end() - 1, "(", ")")
        body = code.index("{", close)
        end = _matching(code, body, "{", "}")
        first = code.count("\n", 0, match.start()) + 1
        last = code.count("\n", 0, end) + 1
        sizes[match.group(1) or f"<anonymous>@{first}"] = last - first + 1
    return sizes


def front_end_files() -> list[Path]:
    return sorted(STATIC.rglob("*.js"))


def test_the_scan_measures_functions_past_literals() -> None:
    body = "\n".join(f"  const x{i} = {i};" for i in range(85))
    source = textwrap.dedent(
        """
        const HASH = /^[0-9a-f]{64}$/; // a regex with braces, and a comment {
        function long({ model, el }) {
        {body}
          const s = "}}}" + '{' + `${"{"}}` + /\\}[}]/.source;
        }
        /* a comment with function fake() { */
        async function short() {
          return a / b / c;
        }
        """
    ).replace("{body}", body)
    assert function_sizes(source) == {"long": 88, "short": 3}


def test_the_scan_finds_a_function_too_long() -> None:
    lines = "\n".join("  x += 1;" for _ in range(FUNCTION_LINES - 1))
    assert function_sizes(f"function ok() {{\n{lines[:-11]}\n}}")["ok"] == FUNCTION_LINES
    assert function_sizes(f"function big() {{\n{lines}\n}}")["big"] == FUNCTION_LINES + 1


def test_no_front_end_file_or_function_is_too_big() -> None:
    too_big = {}
    for path in front_end_files():
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(STATIC).as_posix()
        if len(source.splitlines()) > FILE_LINES:
            too_big[name] = f"{len(source.splitlines())} lines (limit {FILE_LINES})"
        for function, lines in function_sizes(source).items():
            if lines > FUNCTION_LINES:
                too_big[f"{name}::{function}"] = f"{lines} lines (limit {FUNCTION_LINES})"
    assert too_big == {}, "split by meaning:\n" + "\n".join(
        f"  {k}: {v}" for k, v in sorted(too_big.items())
    )


def test_every_piece_is_joined_into_a_view() -> None:
    joined = {*WIDGET_PIECES, *GRID_PIECES}
    assert {p.relative_to(STATIC).as_posix() for p in front_end_files()} == joined


def test_the_loader_refuses_what_would_break_one_module(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("function h() {}\nconst render = () => h();\n")
    (tmp_path / "b.js").write_text("import { x } from './x.js';\n")
    (tmp_path / "c.js").write_text("  export function y() {}\n")
    (tmp_path / "d.js").write_text("function h() { return 1; }\n")
    joined = join_esm(("a.js",), tmp_path)
    assert joined.startswith("// ---- a.js ----\nfunction h() {}")
    assert joined.endswith("export default { render };\n")
    for bad, why in [("b.js", "import"), ("c.js", "export"), ("d.js", "'h' is declared in a.js")]:
        with pytest.raises(ValueError, match=why):
            join_esm(("a.js", bad), tmp_path)


@pytest.mark.parametrize("pieces", [WIDGET_PIECES, GRID_PIECES], ids=["widget", "grid"])
def test_each_joined_module_loads_in_chromium(pieces: tuple[str, ...], page: Any) -> None:
    """Chromium imports the joined module and finds its ``render`` (a syntax error, a name
    used before it is declared at the top level, or a missing export fails here)."""
    kind = page.evaluate(
        """async (source) => {
            const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
            try {
                const module = await import(url);
                return typeof (module.default && module.default.render);
            } finally {
                URL.revokeObjectURL(url);
            }
        }""",
        join_esm(pieces),
    )
    assert kind == "function"
