"""A grid's version: a content hash of everything that defines its run (prompts, system prompt,
vars, models, apis, parameter sets, repeats, tools, response format, scorers, graders and
judge repeats); and its requests version, the same less what only reads the replies (scorers,
graders, judge repeats).

The same inputs give the same version in any process: values are reduced to plain JSON
(``identity``) before hashing, never to a ``repr`` that could hold a memory address. A new kind
of input needs one more branch in ``identity``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import math
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ..conversation._tools import Tool
from ..evals import Grader
from ._spec import GridSpec

__all__ = ["SHORT", "grader_identity", "grid_version", "identity", "requests_version"]

SHORT = 12
"""How many hex characters of the hash make the version shown (``GridResult.version``)."""

_PLAIN = (str, int, bool, type(None))


def grid_version(spec: GridSpec, graders: Iterable[Any] | Mapping[str, Any] = ()) -> str:
    """The sha256 (hex) of what defines a grid's run: ``spec`` and its ``graders`` (a list, or
    a dict by name)."""
    defined = {
        **_requests(spec),
        "scorers": dict(spec.scorers),
        "graders": _graders(graders),
        "judge_repeats": spec.judge_repeats,
    }
    return hashlib.sha256(_json(defined).encode()).hexdigest()


def requests_version(spec: GridSpec) -> str:
    """The sha256 (hex) of what defines the requests a grid sends: its ``grid_version`` less
    the scorers, graders and judge repeats, which read the replies and change no request (the
    key of a grid's batches in the log: a grader edited after a restart picks them up)."""
    return hashlib.sha256(_json(_requests(spec)).encode()).hexdigest()


def _requests(spec: GridSpec) -> dict[str, Any]:
    return {
        "rows": [
            {
                "prompt": row.prompt,
                "vars": row.vars_index,
                "messages": list(row.messages),
                "system": row.system,
            }
            for row in spec.rows
        ],
        "vars": sorted({(row.vars_index, _json(row.vars)) for row in spec.rows}),
        "models": list(spec.models),
        "apis": list(spec.apis),
        "params": list(spec.param_sets),
        "repeats": spec.repeats,
        "response_format": spec.response_format,
        "tools": list(spec.tools),
    }


def _graders(graders: Iterable[Any] | Mapping[str, Any]) -> list[Any]:
    """Each grader's identity, with its name (a grid's graders, as a list or by name)."""
    if isinstance(graders, Mapping):
        return [{"name": str(n), "grader": grader_identity(g)} for n, g in graders.items()]
    return [{"name": getattr(g, "name", None), "grader": grader_identity(g)} for g in graders]


def grader_identity(grader: Any) -> Any:
    """What defines a grader: its ``definition`` (OpenAI's grader JSON) where it has one, else
    its class and its plain attributes (and the source of a function it wraps)."""
    definition = getattr(grader, "definition", None)
    if definition is not None:
        return {"grader": _qualified(type(grader)), "definition": identity(definition)}
    if not hasattr(grader, "__dict__") and callable(grader):
        return identity(grader)
    attributes = getattr(grader, "__dict__", {})
    return {
        "grader": _qualified(type(grader)),
        "attributes": {
            name: _attribute(value)
            for name, value in sorted(attributes.items())
            if _is_plain(value) or callable(value) or _graders_in(value)
        },
    }


def _graders_in(value: Any) -> bool:
    """Whether ``value`` is a grader or graders by name (a ``multi`` grader's parts)."""
    if isinstance(value, Grader):
        return True
    return (
        isinstance(value, Mapping)
        and bool(value)
        and all(isinstance(item, Grader) for item in value.values())
    )


def _attribute(value: Any) -> Any:
    if isinstance(value, Grader):
        return grader_identity(value)
    if isinstance(value, Mapping) and _graders_in(value):
        return {str(name): grader_identity(item) for name, item in value.items()}
    return identity(value)


def identity(value: Any) -> Any:
    """``value`` as plain JSON values that name what it is, the same in every process."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Mapping):
        return {str(key): identity(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [identity(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((identity(item) for item in value), key=_json)
    if isinstance(value, Tool):
        return {"tool": identity(dict(value.to_param()))}
    if isinstance(value, type) and hasattr(value, "model_json_schema"):  # a pydantic model
        return {"model": _qualified(value), "schema": identity(value.model_json_schema())}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"dataclass": _qualified(type(value)), "fields": identity(dataclasses.asdict(value))}
    if isinstance(value, functools.partial):
        return {
            "partial": identity(value.func),
            "args": identity(list(value.args)),
            "keywords": identity(dict(value.keywords)),
        }
    if callable(value):
        return {
            "callable": _qualified(value),
            "source": _source(value),
            "captured": _captured(value),
        }
    text = repr(value)  # a date, a Decimal, a numpy number: their repr is their value
    if " at 0x" not in text:
        return {"object": _qualified(type(value)), "repr": text}
    return {"object": _qualified(type(value)), "attributes": grader_identity(value)}


def _captured(function: Any) -> Any:
    """What a function's code reads besides its arguments: the values its closure captured
    (``contains("Paris")`` against ``contains("Rome")``) and the module-level data it reads
    (plain values only: a module or a class is named by its source already); a callable
    object's own attributes."""
    if id(function) in _HASHING.ids:  # a function that captures itself (a recursive closure)
        return "<recursive>"
    _HASHING.ids.add(id(function))
    try:
        return _captured_by(function)
    finally:
        _HASHING.ids.discard(id(function))


class _Hashing(threading.local):
    """The functions being hashed on this thread (a recursive closure is hashed once)."""

    def __init__(self) -> None:
        self.ids: set[int] = set()


_HASHING = _Hashing()


def _captured_by(function: Any) -> Any:
    if inspect.ismethod(function):
        return {
            "self": grader_identity(function.__self__),
            "function": _captured(function.__func__),
        }
    if not inspect.isfunction(function):
        attributes = getattr(function, "__dict__", None)
        return grader_identity(function) if attributes else None
    try:
        found = inspect.getclosurevars(function)
    except (TypeError, ValueError):  # a function whose globals cannot be read
        return None
    captured = {name: v for name, v in found.nonlocals.items() if _hashable(v)}
    captured.update({name: v for name, v in found.globals.items() if _is_plain(v)})
    return {name: identity(v) for name, v in sorted(captured.items())}


def _hashable(value: Any) -> bool:
    """Whether a captured value says something about the function (not a module or a class,
    whose source names them)."""
    return not (inspect.ismodule(value) or inspect.isclass(value))


def _is_plain(value: Any) -> bool:
    """Whether ``value`` is JSON-like data (the attributes of a grader worth hashing)."""
    if isinstance(value, (*_PLAIN, float)):
        return True
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return False


def _qualified(value: Any) -> str:
    module = getattr(value, "__module__", None) or type(value).__module__
    name = getattr(value, "__qualname__", None) or type(value).__qualname__
    return f"{module}.{name}"


def _source(function: Any) -> str | None:
    """A function's source (a changed scorer is a new version); None for a builtin or a
    function defined where its source cannot be read."""
    target = function if inspect.isroutine(function) else type(function)
    try:
        return inspect.getsource(target)
    except (OSError, TypeError):
        return None


def _json(value: Any) -> str:
    return json.dumps(identity(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
