"""Tools: Python functions and tool declarations -> schema, argument parsing, calls and results."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import copy
import functools
import inspect
import json
import re
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar, cast

import pydantic
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaWarningKind

from .._exceptions import InvalidParameterError, ToolArgumentsError, WorkbenchError
from ..protocol._schema import is_model_class, pydantic_function_tool, tool_model
from ..protocol._strict_schema import strict_schema
from ..types import ChatCompletionFunctionToolParam
from ._docstrings import parse_docstring

__all__ = ["Tool", "as_tool", "tool_from_function"]

T = TypeVar("T")

ALLOWED_TOOLS = (
    "a Tool; a function, method, functools.partial or callable object; a pydantic model class"
    " or pydantic_function_tool(...); a {'type': 'function', 'function': {'name': ...}} dict"
)
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_NAME_RULE = "1 to 64 characters of a-z, A-Z, 0-9, '_' and '-'"
_MAX_ERRORS = 10


class Tool:
    """A tool the model can call: its declaration, and the Python function that runs it.

    Attributes:
        name: the name the model calls it by.
        description: what it does, for the model; None for none.
        parameters: the JSON schema of its arguments.
        strict: whether the API is asked to keep the arguments to the schema exactly.
        function: the Python callable, or None for a tool that is only declared.
        is_async: whether ``function`` returns a coroutine.
        model: the pydantic model the arguments validate into, or None (any JSON object).
        enabled: the tool is offered to the model only while this is True.
    """

    def __init__(
        self,
        name: str,
        *,
        description: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        strict: bool = False,
        function: Callable[..., Any] | None = None,
        model: type[pydantic.BaseModel] | None = None,
        enabled: bool = True,
    ) -> None:
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidParameterError(
                "name", f"{name!r} is not a valid tool name", allowed=_NAME_RULE
            )
        self.name = name
        self.description = description
        self.parameters: dict[str, Any] = copy.deepcopy(
            dict(parameters) if parameters is not None else {"type": "object", "properties": {}}
        )
        self.strict = strict
        self.function = function
        self.is_async = function is not None and _is_async(function)
        self.model = model
        self.enabled = enabled
        # Arguments dict key per model field, and the keys passed positionally (positional-only).
        self._keys = {field: field for field in model.model_fields} if model else {}
        self._positional: tuple[str, ...] = ()
        self._null_means_default = _null_means_default(_plain_schema(model)) if model else set()

    def __repr__(self) -> str:
        function = getattr(self.function, "__qualname__", None) or repr(self.function)
        return (
            f"Tool(name={self.name!r}, strict={self.strict}, function={function},"
            f" enabled={self.enabled})"
        )

    def to_param(self) -> ChatCompletionFunctionToolParam:
        """The tool as the API takes it in ``tools=[...]`` (a fresh copy each time)."""
        definition: dict[str, Any] = {"name": self.name}
        if self.description:
            definition["description"] = self.description
        definition["parameters"] = copy.deepcopy(self.parameters)
        definition["strict"] = self.strict
        return cast("ChatCompletionFunctionToolParam", {"type": "function", "function": definition})

    def parse_model(self, text: str) -> pydantic.BaseModel:
        """Validate the model's JSON arguments into an instance of ``model``.

        Raises:
            ToolArgumentsError: the text is not a JSON object, or does not fit the model.
            WorkbenchError: the tool has no ``model`` (a raw declaration).
        """
        if self.model is None:
            raise WorkbenchError(f"tool {self.name!r} is a raw declaration without a model")
        data = self._decode(text)
        try:
            return self.model.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ToolArgumentsError(self.name, _describe(exc)) from exc

    def parse_arguments(self, text: str) -> dict[str, Any]:
        """Decode and validate the model's JSON arguments into keyword arguments for ``call``.

        Empty text means no arguments. A ``null`` for a parameter with a default gives the
        default (strict mode makes such parameters nullable), unless None is itself a valid
        value of the parameter's type. Nested models and dataclasses arrive as instances.

        Raises:
            ToolArgumentsError: the text is not a JSON object, or does not fit the parameters.
        """
        if self.model is None:
            return self._decode(text)
        instance = self.parse_model(text)
        return {key: getattr(instance, field) for field, key in self._keys.items()}

    def call(self, arguments: Mapping[str, Any]) -> Any:
        """Run the function with ``arguments`` (from ``parse_arguments``) and return its result.

        An async function runs to completion with ``asyncio.run``; when this thread already runs
        an event loop (a notebook), it runs in a worker thread with a loop of its own, and this
        thread waits for it.
        """
        function = self._require_function()
        args, kwargs = self._bind(arguments)
        if self.is_async:
            return run_sync(lambda: function(*args, **kwargs))
        result = function(*args, **kwargs)
        if inspect.iscoroutine(result):  # a plain function that returns a coroutine
            return run_sync(lambda: result)
        return result

    async def acall(self, arguments: Mapping[str, Any]) -> Any:
        """Run the function with ``arguments``; a sync function runs in a worker thread."""
        function = self._require_function()
        args, kwargs = self._bind(arguments)
        if self.is_async:
            return await function(*args, **kwargs)
        result = await asyncio.to_thread(function, *args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    def _require_function(self) -> Callable[..., Any]:
        if self.function is None:
            raise WorkbenchError(f"tool {self.name!r} is only declared: it has no function to call")
        return self.function

    def _bind(self, arguments: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        kwargs = dict(arguments)
        args = []
        for name in self._positional:
            if name not in kwargs:
                break
            args.append(kwargs.pop(name))
        return args, kwargs

    def _decode(self, text: str) -> dict[str, Any]:
        if text is None or not text.strip():
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno} column {exc.colno}"
            raise ToolArgumentsError(
                self.name, [("", f"the arguments are not valid JSON: {exc.msg} at {where}")]
            ) from exc
        except RecursionError:
            raise ToolArgumentsError(
                self.name, [("", "the arguments are nested too deeply")]
            ) from None
        if not isinstance(data, dict):
            kind = type(data).__name__ if data is not None else "null"
            raise ToolArgumentsError(
                self.name, [("", f"the arguments must be a JSON object, not {kind}")]
            )
        drop = self._null_means_default
        return {key: value for key, value in data.items() if value is not None or key not in drop}


def tool_from_function(
    fn: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool | None = None,
) -> Tool:
    """Make a tool of a Python function from its signature, type hints and docstring.

    Types come from the hints (none is ``Any``), defaults from the signature, descriptions from
    ``Annotated[..., Field(description=...)]`` or the docstring (Google, NumPy or Sphinx), whose
    text before its sections describes the tool.

    Args:
        fn: a function, bound method, ``functools.partial`` or callable object, sync or async.
        name: the tool's name; by default the function's name.
        description: what the tool does; by default the docstring's description.
        strict: True to require strict mode, False for a plain schema, None (the default) for
            strict whenever it can express the parameters. Strict mode requires every parameter
            and lets those with defaults take ``null`` for the default.

    Raises:
        InvalidParameterError: ``*args``/``**kwargs``, an unbound method, a bad or missing
            name, hints pydantic cannot validate, or ``strict=True`` when strict is impossible.
    """
    if not callable(fn) or isinstance(fn, type):
        raise InvalidParameterError("tools", f"cannot use {fn!r} as a tool", allowed=ALLOWED_TOOLS)
    target = _unwrap(fn)
    name = _function_name(fn) if name is None else name
    where = f"tools[{name}]"
    try:
        signature = inspect.signature(fn)
        hints = typing.get_type_hints(target, include_extras=True)
    except Exception as exc:  # NameError for hints under TYPE_CHECKING, ValueError for builtins
        raise InvalidParameterError(
            where, f"cannot read the signature and type hints of {fn!r}: {exc}"
        ) from exc
    doc = parse_docstring(_docstring(fn, target))
    fields, positional = _argument_fields(fn, signature, hints, doc.params, where)
    model = _arguments_model(name, fields, where)
    parameters, is_strict = _parameters_schema(model, strict, where)
    tool = Tool(
        name,
        description=description if description is not None else doc.description or None,
        parameters=parameters,
        strict=is_strict,
        function=fn,
        model=model,
    )
    tool._keys = {field: cast("str", info.alias) for field, info in model.model_fields.items()}
    tool._positional = tuple(positional)
    return tool


def _function_name(fn: Callable[..., Any]) -> str:
    """The tool name a function gives itself (its ``__name__``, or its class's for a callable
    object), when it is a valid one."""
    named = _unwrap_partial(fn)
    name = getattr(named if inspect.isroutine(named) else type(named), "__name__", "")
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidParameterError(
            "name", f"{name!r} is not a valid tool name: pass name=", allowed=_NAME_RULE
        )
    return name


def _argument_fields(
    fn: Callable[..., Any],
    signature: inspect.Signature,
    hints: Mapping[str, Any],
    descriptions: Mapping[str, str],
    where: str,
) -> tuple[dict[str, Any], list[str]]:
    """The pydantic fields of the function's parameters (type, default, description), and the
    names of its positional-only parameters."""
    fields: dict[str, Any] = {}
    positional: list[str] = []
    for i, param in enumerate(signature.parameters.values()):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise InvalidParameterError(
                f"{where}.{param.name}",
                f"{param} cannot be described to the model: list each argument by name",
                allowed="named parameters",
            )
        if i == 0 and param.name in ("self", "cls"):
            raise InvalidParameterError(
                f"{where}.{param.name}",
                f"{fn!r} is an unbound method: pass it bound to its object or class",
            )
        if param.kind == param.POSITIONAL_ONLY:
            positional.append(param.name)
        annotation = hints.get(param.name, Any)
        info: dict[str, Any] = {"alias": param.name}
        if param.name in descriptions and not _has_description(annotation):
            info["description"] = descriptions[param.name]
        default = ... if param.default is param.empty else param.default
        # Fields get neutral names, the parameter's name as alias: "json" or "_x" would clash.
        fields[f"p{i}"] = (annotation, pydantic.Field(default, **info))
    return fields, positional


def _arguments_model(name: str, fields: dict[str, Any], where: str) -> type[pydantic.BaseModel]:
    """The pydantic model that validates the tool's arguments (no keys besides its own)."""
    try:
        config = pydantic.ConfigDict(extra="forbid", title=name)
        model: type[pydantic.BaseModel] = pydantic.create_model(
            f"{name}_arguments", __config__=config, **fields
        )
    except (pydantic.PydanticUserError, TypeError) as exc:
        raise InvalidParameterError(
            f"{where}.function.parameters",
            f"pydantic cannot validate these parameters: {str(exc).splitlines()[0]}",
        ) from exc
    return model


def _parameters_schema(
    model: type[pydantic.BaseModel], strict: bool | None, where: str
) -> tuple[dict[str, Any], bool]:
    """The tool's parameters as JSON schema, and whether it is strict: strict unless ``strict``
    is False or (``strict`` None) strict mode cannot express them."""
    plain = _plain_schema(model)
    if strict is False:
        return plain, False
    try:
        nullable = _nullable_defaults(plain)
        return strict_schema(nullable, param=f"{where}.function.parameters"), True
    except InvalidParameterError:
        if strict:
            raise
        return plain, False


def as_tool(obj: object) -> Tool:
    """Return ``obj`` as a Tool.

    Accepts a Tool (returned as is); a function, method, ``functools.partial`` or callable
    object (see ``tool_from_function``); a pydantic model class or a ``pydantic_function_tool``
    dict (declared only, arguments validate into the model); or a raw
    ``{"type": "function", "function": {...}}`` dict (declared only, arguments as a JSON dict).

    Raises:
        InvalidParameterError: for anything else.
    """
    if isinstance(obj, Tool):
        return obj
    if is_model_class(obj):
        return as_tool(pydantic_function_tool(obj))
    if isinstance(obj, Mapping):
        spec = obj.get("function")
        if (
            obj.get("type") == "function"
            and isinstance(spec, Mapping)
            and isinstance(spec.get("name"), str)
            and isinstance(spec.get("parameters", {}), Mapping)
        ):
            return Tool(
                spec["name"],
                description=spec.get("description"),
                parameters=spec.get("parameters"),
                strict=bool(spec.get("strict")),
                model=tool_model(obj),
            )
    elif callable(obj) and not isinstance(obj, type):
        return tool_from_function(obj)
    raise InvalidParameterError("tools", f"cannot use {obj!r} as a tool", allowed=ALLOWED_TOOLS)


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run the awaitable ``factory()`` makes to completion from sync code, loop or no loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(factory))
    # This thread's loop is busy running us (a notebook cell): give the coroutine its own.
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="workbench-tool") as pool:
        return pool.submit(context.run, asyncio.run, _await(factory)).result()


async def _await(factory: Callable[[], Awaitable[T]]) -> T:
    return await factory()


class _ToolJsonSchema(GenerateJsonSchema):
    """Pydantic's JSON schema without per-field titles, and quiet about unserializable defaults."""

    ignored_warning_kinds: set[JsonSchemaWarningKind] = {
        "skipped-choice",
        "non-serializable-default",
    }

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _plain_schema(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    try:
        schema = model.model_json_schema(schema_generator=_ToolJsonSchema)
    except pydantic.PydanticUserError as exc:
        raise InvalidParameterError(
            f"tools[{model.__name__}].function.parameters",
            f"pydantic cannot describe these parameters: {str(exc).splitlines()[0]}",
        ) from exc
    schema.pop("title", None)
    return schema


def _admits_null(schema: object) -> bool:
    if not isinstance(schema, Mapping):
        return False
    kind = schema.get("type")
    if not schema or kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if None in schema.get("enum", ()) or ("const" in schema and schema["const"] is None):
        return True
    return any(_admits_null(sub) for sub in [*schema.get("anyOf", ()), *schema.get("oneOf", ())])


def _null_means_default(schema: Mapping[str, Any]) -> set[str]:
    """Properties with defaults for which ``null`` can only mean "use the default"."""
    required = set(schema.get("required", ()))
    properties = schema.get("properties", {})
    return {k for k, v in properties.items() if k not in required and not _admits_null(v)}


def _nullable_defaults(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy where each property with a default also accepts null (strict mode needs a value)."""
    out = copy.deepcopy(dict(schema))
    for key in _null_means_default(schema):
        prop = out["properties"][key]
        outer = {k: prop[k] for k in ("description", "title") if k in prop}
        inner = {k: v for k, v in prop.items() if k not in ("description", "title", "default")}
        variants = inner["anyOf"] if list(inner) == ["anyOf"] else [inner]
        out["properties"][key] = {"anyOf": [*variants, {"type": "null"}], **outer}
    return out


def _describe(exc: pydantic.ValidationError) -> list[tuple[str, str]]:
    faults = []
    for error in exc.errors(include_url=False)[:_MAX_ERRORS]:
        field = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
        ).lstrip(".")
        message = error["msg"]
        if error["type"] != "missing":
            shown = json.dumps(error.get("input"), default=repr)
            message += f" (got {shown if len(shown) <= 80 else shown[:77] + '...'})"
        faults.append((field, message))
    return faults


def _unwrap(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The function whose type hints and docstring describe ``fn``."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    if inspect.ismethod(fn):
        return fn.__func__
    if inspect.isroutine(fn):
        return fn
    return type(fn).__call__


def _docstring(fn: Callable[..., Any], target: Callable[..., Any]) -> str | None:
    plain = _unwrap_partial(fn)
    if inspect.isroutine(plain):
        return inspect.getdoc(target)
    # A callable object: its own __call__ docstring, else its class's (never object's).
    return target.__doc__ or inspect.getdoc(type(plain))


def _unwrap_partial(fn: Callable[..., Any]) -> Callable[..., Any]:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn


def _is_async(fn: Callable[..., Any]) -> bool:
    fn = _unwrap_partial(fn)
    if inspect.iscoroutinefunction(fn):
        return True
    return not inspect.isroutine(fn) and inspect.iscoroutinefunction(type(fn).__call__)


def _has_description(annotation: object) -> bool:
    if typing.get_origin(annotation) is not Annotated:
        return False
    metadata = getattr(annotation, "__metadata__", ())
    return any(isinstance(item, FieldInfo) and item.description for item in metadata)
