"""The package's imports: no circles, and an import inside a function only where it buys speed.

Read from the source with ``ast``: a module's eager imports are those at module level (not
under ``if TYPE_CHECKING``); an import inside a function is lazy. A lazy import must name a
reason below (a heavy package, or a seam between layers), and must load something its module
does not load anyway, or it buys nothing and belongs at the top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "workbench"

HEAVY = {
    "pandas": "DataFrames only when a table is asked for (about 0.4 s to import)",
    "numpy": "comes with pandas, only for tables",
    "pyarrow": "Parquet only (about 0.15 s)",
    "matplotlib": "a grid's plot only (about 0.45 s)",
    "genai_prices": "the price tables, only when a cost is computed (about 0.2 s)",
    "IPython": "the display machinery, only inside a kernel",
    "rapidfuzz": "a text_similarity grader's metric, loaded when one is built",
    "sacrebleu": "as above (about 0.3 s)",
    "nltk": "as above (about 0.6 s)",
    "rouge_score": "as above (about 0.35 s, nltk with it)",
}
"""Third-party packages imported where they are used, with why."""

SEAMS: dict[tuple[str, str], str] = {
    ("workbench", "workbench.widgets.*"): "the package root registers the views; import workbench"
    " must not load ipywidgets (0.75 s)",
    ("workbench", "workbench.magics.*"): "%load_ext loads the magics; import workbench does not",
    ("workbench.magics.*", "workbench.widgets.*"): "%load_ext stays fast (bench/bench_load_ext.py):"
    " the views load on the first magic that shows one",
    ("workbench.magics.*", "workbench.client.*"): "as above: the client loads on the first %chat",
    ("workbench.magics.*", "workbench.conversation.*"): "as above, for the conversation",
    ("workbench.magics.*", "workbench.grid.*"): "as above, for %%grid",
    ("workbench.conversation._conversation", "workbench.export.*"): "the doors of Conversation"
    " into the layer above it (named in the import contract)",
    ("workbench.client._client", "workbench.local.*"): "the local model loads only when a client"
    " uses it (no key set)",
    ("workbench.client._client", "workbench.cassette.*"): "cassettes load only when one is asked"
    " for",
    ("workbench.cassette._choose", "workbench.cassette._cassette"): "as above",
    ("workbench.client._client", "workbench.client._chat"): "each resource loads on first use",
    ("workbench.client._client", "workbench.client._models_resource"): "as above",
    ("workbench.client._client", "workbench.client._responses"): "as above",
    ("workbench.client._client", "workbench.client._embeddings_resource"): "as above",
    ("workbench.client._client", "workbench.client._files_resource"): "as above",
    ("workbench.client._client", "workbench.client._batches_resource"): "as above",
    ("workbench.client._chat", "workbench.client._chat_stream"): "stream managers load on the"
    " first .stream()",
    ("workbench.client._chat", "workbench.protocol._parsing"): "parsing loads on the first"
    " .parse()",
    ("workbench.client._chat_request", "workbench.protocol._schema"): "strict schemas load on"
    " the first pydantic response_format",
    ("workbench.client._base", "workbench.client._response"): "raw responses load on the first"
    " with_raw_response",
    ("workbench.grid._sender", "workbench.local.*"): "as for the client",
    ("workbench.grid._grid_batch", "workbench.local"): "BatchLimits, shared with the local"
    " model's batches: the local model loads only when a batch run starts",
    ("workbench.grid._batch_split", "workbench.local"): "as above",
    ("workbench.grid._result", "workbench.grid._openai_samples"): "a circle otherwise: the"
    " samples' grader builds a Grid, whose module imports GridResult",
    ("workbench.grid._result", "workbench.grid._compare_frame"): "the comparison's DataFrame"
    " imports pandas: only when a comparison is asked for",
}
"""(importer, target) pairs where a lazy import keeps a common path fast, with why; either side
names a module, or with ``.*`` a package and everything in it."""


@dataclass
class Module:
    name: str
    eager: set[str] = field(default_factory=set)
    lazy: list[tuple[int, str]] = field(default_factory=list)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Module]:
    found = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    return {name: read(name, path, set(found)) for name, path in found.items()}


def read(name: str, path: Path, known: set[str]) -> Module:
    module = Module(name)
    is_package = path.name == "__init__.py"

    def targets(node: ast.Import | ast.ImportFrom) -> Iterator[str]:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
            return
        base = name.split(".") if is_package else name.split(".")[:-1]
        if node.level:
            base = base[: len(base) - node.level + 1]
            prefix = ".".join([*base, *([node.module] if node.module else [])])
        else:
            prefix = node.module or ""
        for alias in node.names:
            full = f"{prefix}.{alias.name}"
            yield full if full in known else prefix

    def visit(body: list[ast.stmt], lazy: bool) -> None:
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in targets(node):
                    if lazy:
                        module.lazy.append((node.lineno, target))
                    else:
                        module.eager.add(target)
            elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse, lazy)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(node.body, True)
            else:
                for attr in ("body", "orelse", "finalbody", "handlers"):
                    inner = getattr(node, attr, None)
                    if isinstance(inner, list):
                        visit([s for s in inner if isinstance(s, ast.stmt)], lazy)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body, lazy)

    visit(ast.parse(path.read_text()).body, False)
    return module


def loaded_by(name: str) -> set[str]:
    """What importing ``name`` loads (its packages first, then its eager imports, on and on)."""
    mods = modules()
    seen: set[str] = set()
    stack = [name]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        parts = current.split(".")
        stack.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        if current in mods:
            stack.extend(mods[current].eager)
    return seen


def test_the_package_is_read() -> None:
    mods = modules()
    assert len(mods) > 100
    assert "workbench.protocol._sse" in mods["workbench.client._streaming"].eager
    assert any(t == "pandas" for _, t in mods["workbench.export._pandas"].lazy)


def test_no_import_circles() -> None:
    """Among the package's modules, no chain of module-level imports comes back where it began
    (importing a module's own package first is Python's doing, not a circle)."""
    mods = modules()
    graph = {n: {t for t in m.eager if t in mods} for n, m in mods.items()}
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    assert circles == []


def lazy_imports() -> Iterator[tuple[str, int, str]]:
    for name, module in modules().items():
        for line, target in module.lazy:
            yield name, line, target


def within(name: str, scope: str) -> bool:
    """``name`` is the module ``scope``; ``package.*`` is the package and all inside it."""
    if scope.endswith(".*"):
        return name == scope[:-2] or name.startswith(scope[:-1])
    return name == scope


def seam(importer: str, target: str) -> tuple[str, str] | None:
    for pair in SEAMS:
        if within(importer, pair[0]) and within(target, pair[1]):
            return pair
    return None


def reason(importer: str, target: str) -> str | None:
    top = target.split(".")[0]
    if top != "workbench":
        return HEAVY.get(top)
    pair = seam(importer, target)
    return None if pair is None else SEAMS[pair]


def test_every_import_inside_a_function_has_its_reason() -> None:
    unexplained = [
        f"{name}:{line} imports {target}"
        for name, line, target in lazy_imports()
        if reason(name, target) is None and target.split(".")[0] in ("workbench", *HEAVY)
    ]
    assert unexplained == []
    stdlib_or_light = [
        f"{name}:{line} imports {target}"
        for name, line, target in lazy_imports()
        if target.split(".")[0] not in ("workbench", *HEAVY)
    ]
    assert stdlib_or_light == [], "import it at the top: it buys nothing inside a function"


def test_a_lazy_import_loads_what_its_module_does_not() -> None:
    pointless = [
        f"{name}:{line} imports {target}, which importing {name} loads already"
        for name, line, target in lazy_imports()
        if target in loaded_by(name)
    ]
    assert pointless == []


def test_every_seam_is_still_there() -> None:
    used = {seam(name, target) for name, _, target in lazy_imports()}
    assert sorted(set(SEAMS) - used) == []
