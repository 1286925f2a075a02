"""Sync/async parity, by introspection (STYLE habit 2): every public sync method has an async twin
with the same parameters (names, kinds, defaults), and every async one a sync twin.

The pairs are collected, not listed, so that a new method without its twin fails here:

* every ``AsyncX`` class of the package against ``SyncX`` or ``X`` of the same module (the
  clients, their resources, pages, streams and stream managers), member by member, with
  ``__aenter__`` against ``__enter__`` and so on;
* the resource tree of ``Client`` and ``AsyncClient`` (``client.chat.completions.messages``,
  ``client.models.with_raw_response``, ...): at every path, the async client holds the async twin
  of what the sync client holds;
* the public classes that hold both kinds of methods (``Conversation``, ``Grid``, ``Tool``, and
  any exported class that gets a coroutine method): ``aname`` against ``name``.

What has no twin on purpose is listed below with the reason; ``MISSING_TWINS`` are real gaps,
kept visible until they are closed.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import workbench

KEY = "sk-parity-0123456789"

# Dunders whose async twin has another name.
DUNDER_TWINS = {
    "__enter__": "__aenter__",
    "__exit__": "__aexit__",
    "__iter__": "__aiter__",
    "__next__": "__anext__",
}

_IN_MEMORY = "works in memory and returns at once: nothing to await"
_ANY_THREAD = "callable from any thread (a widget's button) while a run goes on: it never waits"
_LOCAL_FILES = "reads or writes local files (pandas, pyarrow, SQLite), which are sync anyway"

SYNC_ONLY: dict[str, str] = {
    "Conversation.branches": _IN_MEMORY,
    "Conversation.diff": _IN_MEMORY,
    "Conversation.clear": _IN_MEMORY,
    "Conversation.enable_tool": _IN_MEMORY,
    "Conversation.fork": _IN_MEMORY,
    "Conversation.keep": _IN_MEMORY,
    "Conversation.switch": _IN_MEMORY,
    "Conversation.undo": _IN_MEMORY,
    "Conversation.subscribe": _IN_MEMORY,
    "Conversation.tool": f"a decorator that registers a tool; {_IN_MEMORY}",
    "Conversation.to_messages": _IN_MEMORY,
    "Conversation.to_dataframe": _IN_MEMORY,
    "Conversation.usage_dataframe": _IN_MEMORY,
    "Conversation.stop": _ANY_THREAD,
    "Conversation.widget": "builds a view, which sends through the conversation's own methods",
    "Conversation.to_jsonl": _LOCAL_FILES,
    "Conversation.to_parquet": _LOCAL_FILES,
    "Conversation.from_dataframe": _LOCAL_FILES,
    "Conversation.from_jsonl": _LOCAL_FILES,
    "Conversation.from_parquet": _LOCAL_FILES,
    "Conversation.load": _LOCAL_FILES,
    "Conversation.from_stored": "takes an async client too and runs its requests to the end, "
    "as stored_dataframe does",
    "BinaryResponseContent.json": f"the body is read whole before it is returned; {_IN_MEMORY}",
    "Grid.cell": _IN_MEMORY,
    "Grid.result": _IN_MEMORY,
    "Grid.subscribe": _IN_MEMORY,
    "Grid.estimate": f"prices come from a table in the package; {_IN_MEMORY}",
    "Grid.cancel": _ANY_THREAD,
    "Grid.to_batch_jsonl": _LOCAL_FILES,
    "Grid.from_openai_eval": f"builds a grid and sends nothing; {_LOCAL_FILES}",
    "Tool.parse_arguments": _IN_MEMORY,
    "Tool.parse_model": _IN_MEMORY,
    "Tool.to_param": _IN_MEMORY,
}

ASYNC_ONLY: dict[str, str] = {
    "AsyncPaginator": "what an async list() returns, to await (the first page) or to iterate "
    "with async for; a sync list() fetches the first page at once and returns that page",
}

# Methods that do I/O and lack their twin: real gaps, each to be closed in the file named.
MISSING_TWINS: dict[str, str] = {}


# -- collecting --------------------------------------------------------------------------------


def _modules() -> Iterator[ModuleType]:
    for info in pkgutil.walk_packages(workbench.__path__, "workbench."):
        if info.name != "workbench.__main__":
            yield importlib.import_module(info.name)


def _class_twins() -> tuple[list[tuple[type, type]], list[type]]:
    """Every ``AsyncX`` class with its sync twin, and those that have none."""
    pairs, alone = [], []
    for module in _modules():
        for name, cls in sorted(vars(module).items()):
            if not (inspect.isclass(cls) and cls.__module__ == module.__name__):
                continue
            if not name.startswith("Async"):
                continue
            twin = getattr(module, f"Sync{name[5:]}", None) or getattr(module, name[5:], None)
            if inspect.isclass(twin):
                pairs.append((twin, cls))
            else:
                alone.append(cls)
    return pairs, alone


CLASS_TWINS, ASYNC_ALONE = _class_twins()


def _parameters(function: Any) -> list[tuple[str, Any, Any]]:
    signature = inspect.signature(function)
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


def _surface(cls: type) -> dict[str, Any]:
    """The public members of ``cls`` (and the dunders that have twins), by their sync name:
    each method's parameters, or ``"attribute"``."""
    sync_name = {a: s for s, a in DUNDER_TWINS.items()}
    out: dict[str, Any] = {}
    for name in dir(cls):
        dunder = name in DUNDER_TWINS or name in sync_name or name == "__init__"
        if name.startswith("_") and not dunder:
            continue
        static = inspect.getattr_static(cls, name)
        value = getattr(cls, name)
        key = sync_name.get(name, name)
        if isinstance(static, (property, functools.cached_property)) or not callable(value):
            out[key] = "attribute"
        else:
            out[key] = _parameters(value)
    return out


def _methods(cls: type) -> dict[str, Any]:
    """The public methods of ``cls`` (properties left out)."""
    out = {}
    for name in dir(cls):
        static = inspect.getattr_static(cls, name)
        if name.startswith("_") or isinstance(static, (property, functools.cached_property)):
            continue
        if callable(getattr(cls, name)):
            out[name] = getattr(cls, name)
    return out


def _mixed_classes() -> list[type]:
    """Exported classes that are not twins of a class but hold coroutine methods."""
    twinned = {c for pair in CLASS_TWINS for c in pair} | set(ASYNC_ALONE)
    found = []
    for name in workbench.__all__:
        cls = getattr(workbench, name)
        if not inspect.isclass(cls) or cls in twinned:
            continue
        if any(inspect.iscoroutinefunction(m) for m in _methods(cls).values()):
            found.append(cls)
    return found


MIXED = _mixed_classes()


def _method_twins(cls: type) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """In ``cls``: the (name, aname) pairs, the sync methods without a twin, and the async ones
    without a twin."""
    methods = _methods(cls)
    pairs = [(n[1:], n) for n in methods if n.startswith("a") and n[1:] in methods]
    paired = {name for pair in pairs for name in pair}
    sync_alone, async_alone = [], []
    for name, method in methods.items():
        if name in paired:
            continue
        (async_alone if inspect.iscoroutinefunction(method) else sync_alone).append(name)
    return pairs, sync_alone, async_alone


# -- classes and their async twins ------------------------------------------------------------


def test_the_twins_are_found() -> None:
    names = {(s.__name__, a.__name__) for s, a in CLASS_TWINS}
    assert {
        ("Client", "AsyncClient"),
        ("Completions", "AsyncCompletions"),
        ("Messages", "AsyncMessages"),
        ("Models", "AsyncModels"),
        ("SyncCursorPage", "AsyncCursorPage"),
        ("Stream", "AsyncStream"),
        ("ChatCompletionStream", "AsyncChatCompletionStream"),
        ("ChatCompletionStreamManager", "AsyncChatCompletionStreamManager"),
    } <= names
    assert {c.__name__ for c in MIXED} >= {"Conversation", "Grid", "Tool"}


@pytest.mark.parametrize(
    ("sync", "asyn"), CLASS_TWINS, ids=[a.__qualname__ for _, a in CLASS_TWINS]
)
def test_an_async_class_has_the_members_and_parameters_of_its_twin(sync: type, asyn: type) -> None:
    assert _surface(asyn) == _surface(sync)


def test_every_async_class_has_a_sync_twin_or_a_reason() -> None:
    assert sorted(c.__name__ for c in ASYNC_ALONE) == sorted(ASYNC_ONLY)


def test_the_clients_resource_trees_are_twins() -> None:
    """At every path below the clients (``chat.completions.messages``, ...), the async client
    holds the async twin of what the sync client holds."""
    twins = {s: a for s, a in CLASS_TWINS}
    todo: list[tuple[str, Any, Any]] = [
        ("client", workbench.Client(api_key=KEY), workbench.AsyncClient(api_key=KEY))
    ]
    seen: set[type] = set()
    while todo:
        path, mine, theirs = todo.pop()
        if type(theirs) is type(mine) and path != "client":
            continue  # one class for both (a ``Profile``): nothing to twin
        assert twins.get(type(mine)) is type(theirs), path
        seen.add(type(mine))
        for name in dir(mine):  # the instance's attributes too (``Chat.completions``)
            value = None if name.startswith("_") else getattr(mine, name)
            if inspect.ismethod(value) or type(value) in seen:
                continue
            if type(value).__module__.startswith("workbench.client"):
                todo.append((f"{path}.{name}", value, getattr(theirs, name)))
    assert {c.__name__ for c in seen} >= {"Client", "Chat", "Completions", "Messages", "Models"}


def test_async_methods_that_do_io_are_coroutines() -> None:
    asyn = workbench.AsyncClient(api_key=KEY)
    for method in (
        asyn.chat.completions.create,
        asyn.chat.completions.parse,
        asyn.chat.completions.retrieve,
        asyn.chat.completions.update,
        asyn.chat.completions.delete,
        asyn.models.retrieve,
        asyn.close,
    ):
        assert inspect.iscoroutinefunction(method), method.__qualname__


# -- classes that hold both ---------------------------------------------------------------------


@pytest.mark.parametrize("cls", MIXED, ids=[c.__name__ for c in MIXED])
def test_each_method_has_its_a_twin_or_a_reason(cls: type) -> None:
    pairs, sync_alone, async_alone = _method_twins(cls)
    for name, aname in pairs:
        sync, asyn = getattr(cls, name), getattr(cls, aname)
        assert _parameters(asyn) == _parameters(sync), f"{cls.__name__}.{aname}"
        assert inspect.iscoroutinefunction(asyn), f"{cls.__name__}.{aname} is not async"
        assert not inspect.iscoroutinefunction(sync), f"{cls.__name__}.{name} is async"
    allowed = {**SYNC_ONLY, **MISSING_TWINS}
    unexplained = [n for n in sync_alone if f"{cls.__name__}.{n}" not in allowed]
    assert not unexplained, f"no async twin and no reason in SYNC_ONLY: {unexplained}"
    unexplained = [n for n in async_alone if f"{cls.__name__}.{n}" not in ASYNC_ONLY]
    assert not unexplained, f"no sync twin and no reason in ASYNC_ONLY: {unexplained}"


def test_the_lists_name_only_what_is_there() -> None:
    """A listed method that was renamed, removed or given its twin leaves the lists."""
    alone = {}
    for cls in MIXED:
        _, sync_alone, _ = _method_twins(cls)
        alone |= {f"{cls.__name__}.{name}": cls for name in sync_alone}
    assert sorted(n for n in SYNC_ONLY if n not in alone) == []
    assert sorted(n for n in MISSING_TWINS if n not in alone) == [], "closed: remove it"
