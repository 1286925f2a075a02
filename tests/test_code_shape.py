"""The package keeps a readable shape: small modules, short functions, names that say what a
module holds.

Every module under ``workbench/`` is read with ``ast``: none may be longer than 500 lines, and
no function or method longer than 80 (decorators included), unless ``TOO_BIG`` names it with
the reason. An entry there that no longer exceeds its limit fails too, so the list only
shrinks. Two modules may share a file name only where ``SAME_NAME`` says what both are; never
``_events.py``, ``_text.py`` or ``_tools.py``, the names that meant three things each before
the package was cut into folders.
"""

from __future__ import annotations

import ast
import textwrap
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "workbench"

MODULE_LINES = 500
FUNCTION_LINES = 80

# path (relative to the repository) or "path::Qualified.name" -> why it is still too big.
TOO_BIG: dict[str, str] = {}

# A file name that two modules share -> what both of them are.
SAME_NAME: dict[str, str] = {
    "_transport.py": "an httpx transport: the local model's (local/) and the cassette's",
}
NEVER_SHARED = ("_events.py", "_text.py", "_tools.py")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def function_sizes(source: str) -> Iterator[tuple[str, int]]:
    """(qualified name, lines from its first decorator to its last line) of every function
    and method in ``source``, nested ones too (as ``outer.<locals>.inner``)."""

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                assert child.end_lineno is not None
                yield name, child.end_lineno - first + 1
                yield from walk(child, name + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, prefix + child.name + ".")
            else:
                yield from walk(child, prefix)

    return walk(ast.parse(source), "")


def sizes() -> dict[str, tuple[int, int]]:
    """Every module and function under the package: key -> (lines, its limit)."""
    out: dict[str, tuple[int, int]] = {}
    for path in modules():
        source = path.read_text(encoding="utf-8")
        out[relative(path)] = (len(source.splitlines()), MODULE_LINES)
        for name, lines in function_sizes(source):
            out[f"{relative(path)}::{name}"] = (lines, FUNCTION_LINES)
    return out


def listing(found: dict[str, str]) -> str:
    return "\n".join(f"  {key}: {what}" for key, what in sorted(found.items()))


def test_the_walk_measures_functions_methods_and_decorators() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(85))
    source = textwrap.dedent(
        """
        @decorator
        def long() -> None:
        {body}

        class Holder:
            async def short(self) -> None:
                def inner() -> None:
                    pass
        """
    ).format(body=body)
    assert dict(function_sizes(source)) == {
        "long": 87,
        "Holder.short": 3,
        "Holder.short.<locals>.inner": 2,
    }


def test_no_module_or_function_is_too_big() -> None:
    too_big = {
        key: f"{lines} lines (limit {limit})"
        for key, (lines, limit) in sizes().items()
        if lines > limit and key not in TOO_BIG
    }
    assert too_big == {}, "split by meaning (or say in TOO_BIG why it cannot be):\n" + listing(
        too_big
    )


def test_every_entry_of_too_big_still_is() -> None:
    measured = sizes()
    stale = {
        key: "gone" if key not in measured else f"{measured[key][0]} lines now"
        for key in TOO_BIG
        if key not in measured or measured[key][0] <= measured[key][1]
    }
    assert stale == {}, "take these out of TOO_BIG, they fit their limit:\n" + listing(stale)


def shared_names() -> dict[str, list[str]]:
    where: dict[str, list[str]] = defaultdict(list)
    for path in modules():
        if path.name != "__init__.py":
            where[path.name].append(relative(path))
    return {name: paths for name, paths in where.items() if len(paths) > 1}


def test_modules_share_a_name_only_where_they_mean_the_same() -> None:
    shared = shared_names()
    unexplained = {name: paths for name, paths in shared.items() if name not in SAME_NAME}
    assert unexplained == {}, "name each for what it holds (or explain in SAME_NAME):\n" + listing(
        {name: ", ".join(paths) for name, paths in unexplained.items()}
    )
    stale = sorted(set(SAME_NAME) - set(shared))
    assert stale == [], "take these out of SAME_NAME: only one module has the name now"
    assert not set(NEVER_SHARED) & set(SAME_NAME)
