"""Tools from Python functions: schemas, strictness, argument parsing, calls and results."""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import enum
import functools
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional

import jsonschema
import pytest
from openai.lib._tools import pydantic_function_tool as openai_function_tool
from pydantic import BaseModel, Field

import workbench
from tests._mock import schema_validator
from workbench._exceptions import InvalidParameterError, ToolArgumentsError, WorkbenchError
from workbench.conversation._docstrings import parse_docstring
from workbench.conversation._tool_results import tool_error_to_content, tool_result_to_content
from workbench.conversation._tools import Tool, as_tool, tool_from_function
from workbench.protocol._schema import pydantic_function_tool

# -- the functions ----------------------------------------------------------------------------


class Unit(enum.Enum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


def get_weather(
    city: str, unit: Unit = Unit.CELSIUS, days: int = 1, when: Optional[str] = None
) -> str:
    """Get the weather forecast for a city.

    Uses the local forecast service.

    Args:
        city: The city's name,
            for example Paris.
        unit (Unit): The temperature unit.
        days: How many days ahead.

    Returns:
        The forecast as text.
    """
    return f"{city}/{unit.value}/{days}/{when}"


@dataclass
class Item:
    sku: str
    quantity: int = 1


class Address(BaseModel):
    """A postal address."""

    street: str
    city: str = Field(description="The city.")


def place_order(
    items: list[Item],
    ship_to: Address,
    speed: Literal["standard", "express"] = "standard",
    gift: bool = False,
) -> dict[str, Any]:
    """Place an order.

    Parameters
    ----------
    items : list of Item
        What to order.
    ship_to : Address
        Where to send it.
    speed, gift
        Delivery options.

    Returns
    -------
    dict
        The order.
    """
    return {"items": items, "ship_to": ship_to, "speed": speed, "gift": gift}


def search(
    query: Annotated[str, Field(description="Words to look for.", min_length=1)],
    limit: Annotated[int, Field(ge=1, le=50)] = 10,
    tags: list[str] | None = None,
) -> list[str]:
    """Search the notes.

    :param query: Ignored: the Annotated description wins.
    :param int limit: At most this many results.
    :param tags: Only notes with all of these tags.
    :returns: The matching titles.
    """
    return [query] * limit


async def add(a: int, b: int = 2) -> int:
    """Add two numbers."""
    await asyncio.sleep(0)
    return a + b


UNIT_DEF = {"enum": ["celsius", "fahrenheit"], "title": "Unit", "type": "string"}
ADDRESS = {
    "description": "A postal address.",
    "properties": {
        "street": {"type": "string"},
        "city": {"description": "The city.", "type": "string"},
    },
    "required": ["street", "city"],
    "title": "Address",
    "type": "object",
    "additionalProperties": False,
}


# -- schemas ----------------------------------------------------------------------------------


def test_google_docstring_enum_and_optional_defaults_strict() -> None:
    tool = tool_from_function(get_weather)
    assert tool.name == "get_weather"
    assert (
        tool.description
        == "Get the weather forecast for a city.\n\nUses the local forecast service."
    )
    assert tool.strict is True
    assert tool.is_async is False
    assert tool.parameters == {
        "$defs": {"Unit": UNIT_DEF},
        "additionalProperties": False,
        "properties": {
            "city": {"description": "The city's name, for example Paris.", "type": "string"},
            "unit": {
                "anyOf": [{"$ref": "#/$defs/Unit"}, {"type": "null"}],
                "description": "The temperature unit.",
            },
            "days": {
                "anyOf": [{"type": "integer"}, {"type": "null"}],
                "description": "How many days ahead.",
            },
            "when": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["city", "unit", "days", "when"],
        "type": "object",
    }


def test_google_docstring_plain_schema_keeps_defaults() -> None:
    tool = tool_from_function(get_weather, strict=False)
    assert tool.strict is False
    assert tool.parameters == {
        "$defs": {"Unit": UNIT_DEF},
        "additionalProperties": False,
        "properties": {
            "city": {"description": "The city's name, for example Paris.", "type": "string"},
            "unit": {
                "$ref": "#/$defs/Unit",
                "default": "celsius",
                "description": "The temperature unit.",
            },
            "days": {"default": 1, "description": "How many days ahead.", "type": "integer"},
            "when": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        },
        "required": ["city"],
        "type": "object",
    }


def test_numpy_docstring_literal_nested_model_and_list_of_dataclass() -> None:
    tool = tool_from_function(place_order)
    assert tool.description == "Place an order."
    assert tool.strict is True
    assert tool.parameters == {
        "$defs": {
            "Address": ADDRESS,
            "Item": {
                "additionalProperties": False,
                "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer"}},
                "required": ["sku", "quantity"],
                "title": "Item",
                "type": "object",
            },
        },
        "additionalProperties": False,
        "properties": {
            "items": {
                "description": "What to order.",
                "items": {"$ref": "#/$defs/Item"},
                "type": "array",
            },
            # A $ref may not have siblings in strict mode: the model is inlined.
            "ship_to": {**ADDRESS, "description": "Where to send it."},
            "speed": {
                "anyOf": [{"enum": ["standard", "express"], "type": "string"}, {"type": "null"}],
                "description": "Delivery options.",
            },
            "gift": {
                "anyOf": [{"type": "boolean"}, {"type": "null"}],
                "description": "Delivery options.",
            },
        },
        "required": ["items", "ship_to", "speed", "gift"],
        "type": "object",
    }


def test_sphinx_docstring_and_annotated_field_description() -> None:
    tool = tool_from_function(search)
    assert tool.description == "Search the notes."
    assert tool.parameters == {
        "additionalProperties": False,
        "properties": {
            # Strict mode cannot enforce minLength: it is kept as a hint.
            "query": {"description": "Words to look for. (minLength: 1)", "type": "string"},
            "limit": {
                "anyOf": [{"maximum": 50, "minimum": 1, "type": "integer"}, {"type": "null"}],
                "description": "At most this many results.",
            },
            "tags": {
                "anyOf": [{"items": {"type": "string"}, "type": "array"}, {"type": "null"}],
                "description": "Only notes with all of these tags.",
            },
        },
        "required": ["query", "limit", "tags"],
        "type": "object",
    }
    plain = tool_from_function(search, strict=False).parameters
    assert plain["properties"]["query"] == {
        "description": "Words to look for.",
        "minLength": 1,
        "type": "string",
    }


def test_name_and_description_overrides_and_no_docstring() -> None:
    def nothing() -> None:
        pass

    tool = tool_from_function(nothing, name="noop", description="Does nothing.")
    assert (tool.name, tool.description) == ("noop", "Does nothing.")
    assert tool.parameters == {
        "additionalProperties": False,
        "properties": {},
        "required": [],
        "type": "object",
    }
    assert tool_from_function(nothing).description is None


# -- strict or not ----------------------------------------------------------------------------


def untyped(x, y: int = 0):  # type: ignore[no-untyped-def]
    return x


def free_keys(scores: dict[str, int]) -> None:
    pass


@pytest.mark.parametrize("fn", [untyped, free_keys])
def test_strict_is_dropped_automatically_when_inexpressible(fn: Any) -> None:
    tool = tool_from_function(fn)
    assert tool.strict is False
    assert tool.to_param()["function"]["strict"] is False


def test_missing_hint_is_any() -> None:
    assert tool_from_function(untyped).parameters == {
        "additionalProperties": False,
        "properties": {"x": {}, "y": {"default": 0, "type": "integer"}},
        "required": ["x"],
        "type": "object",
    }


def test_strict_true_raises_when_inexpressible() -> None:
    with pytest.raises(InvalidParameterError) as info:
        tool_from_function(free_keys, strict=True)
    assert info.value.param == "tools[free_keys].function.parameters.properties.scores"
    assert "free-form keys" in str(info.value)


def test_strict_true_and_false_when_expressible() -> None:
    assert tool_from_function(get_weather, strict=True).strict is True
    assert tool_from_function(get_weather, strict=False).strict is False


# -- what is accepted and refused -------------------------------------------------------------


def test_varargs_and_kwargs_are_refused() -> None:
    def star(*names: str) -> None:
        pass

    def double_star(**options: int) -> None:
        pass

    for fn, param in ((star, "names"), (double_star, "options")):
        with pytest.raises(InvalidParameterError, match=r"list each argument by name") as info:
            tool_from_function(fn)
        assert info.value.param == f"tools[{fn.__name__}].{param}"


def test_bad_names_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match="pass name="):
        tool_from_function(lambda x: x)
    assert tool_from_function(lambda x: x, name="echo").name == "echo"
    with pytest.raises(InvalidParameterError, match="not a valid tool name"):
        tool_from_function(get_weather, name="get weather")


def test_unresolvable_hint_is_a_clear_error() -> None:
    def fn(x: NotDefinedAnywhere) -> None:  # type: ignore[name-defined]  # noqa: F821
        pass

    with pytest.raises(InvalidParameterError, match="NotDefinedAnywhere"):
        tool_from_function(fn)


class Thermostat:
    """A thermostat."""

    def __init__(self) -> None:
        self.target = 20.0

    def set_target(self, degrees: float) -> str:
        """Set the target temperature.

        Args:
            degrees: The new target.
        """
        self.target = degrees
        return f"set to {degrees}"

    @classmethod
    def describe(cls, verbose: bool = False) -> str:
        """Describe the class."""
        return cls.__name__ + ("!" if verbose else "")

    def __call__(self, delta: float) -> float:
        self.target += delta
        return self.target


def test_bound_method_and_classmethod_skip_self_and_cls() -> None:
    thermostat = Thermostat()
    tool = tool_from_function(thermostat.set_target)
    assert tool.name == "set_target"
    assert list(tool.parameters["properties"]) == ["degrees"]
    assert tool.parameters["properties"]["degrees"]["description"] == "The new target."
    assert tool.call(tool.parse_arguments('{"degrees": 18.5}')) == "set to 18.5"
    assert thermostat.target == 18.5
    described = tool_from_function(Thermostat.describe)
    assert list(described.parameters["properties"]) == ["verbose"]
    assert described.call(described.parse_arguments('{"verbose": true}')) == "Thermostat!"


def test_unbound_method_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="unbound method"):
        tool_from_function(Thermostat.set_target)


def test_callable_object_and_partial() -> None:
    tool = as_tool(Thermostat())
    assert (tool.name, tool.description) == ("Thermostat", "A thermostat.")
    assert tool.call(tool.parse_arguments('{"delta": 1.5}')) == 21.5

    partial = functools.partial(get_weather, unit=Unit.FAHRENHEIT)
    tool = as_tool(partial)
    assert tool.name == "get_weather"
    assert (
        tool.description
        == "Get the weather forecast for a city.\n\nUses the local forecast service."
    )
    assert tool.call(tool.parse_arguments('{"city": "Oslo"}')) == "Oslo/fahrenheit/1/None"


def test_positional_only_parameters_are_passed_by_position() -> None:
    def power(base: int, exponent: int = 2, /) -> int:
        return int(base**exponent)

    tool = tool_from_function(power)
    assert tool.call(tool.parse_arguments('{"base": 3}')) == 9


def test_parameter_names_that_clash_with_pydantic_still_work() -> None:
    def fn(json: str, model_config: int, _private: bool = False) -> list[Any]:
        return [json, model_config, _private]

    tool = tool_from_function(fn)
    assert list(tool.parameters["properties"]) == ["json", "model_config", "_private"]
    arguments = tool.parse_arguments('{"json": "a", "model_config": 1, "_private": true}')
    assert tool.call(arguments) == ["a", 1, True]


# -- against the API spec ---------------------------------------------------------------------


def _every_tool() -> list[Tool]:
    return [
        tool_from_function(get_weather),
        tool_from_function(get_weather, strict=False),
        tool_from_function(place_order),
        tool_from_function(search),
        tool_from_function(add),
        tool_from_function(untyped),
        tool_from_function(free_keys),
        as_tool(Address),
        as_tool({"type": "function", "function": {"name": "ping"}}),
    ]


@pytest.mark.parametrize("tool", _every_tool(), ids=lambda tool: tool.name)
def test_to_param_matches_the_spec(tool: Tool) -> None:
    param = tool.to_param()
    errors = list(schema_validator("ChatCompletionTool").iter_errors(param))
    assert errors == []
    assert list(schema_validator("FunctionObject").iter_errors(param["function"])) == []
    # The parameters are themselves a valid JSON schema.
    jsonschema.Draft202012Validator.check_schema(param["function"]["parameters"])


def test_to_param_is_a_fresh_copy() -> None:
    tool = tool_from_function(get_weather)
    param = tool.to_param()
    param["function"]["parameters"]["properties"].clear()
    assert tool.to_param()["function"]["parameters"]["properties"] != {}


# -- parsing arguments ------------------------------------------------------------------------


def test_parse_valid_arguments_nested_values_become_instances() -> None:
    tool = tool_from_function(place_order)
    arguments = tool.parse_arguments(
        '{"items": [{"sku": "A1", "quantity": 2}], "ship_to": {"street": "Main", "city": "Oslo"},'
        ' "speed": "express", "gift": null}'
    )
    assert arguments == {
        "items": [Item("A1", 2)],
        "ship_to": Address(street="Main", city="Oslo"),
        "speed": "express",
        "gift": False,
    }


def test_null_for_a_parameter_with_a_default_gives_the_default() -> None:
    tool = tool_from_function(get_weather)
    assert tool.parse_arguments('{"city": "Oslo", "unit": null, "days": null, "when": null}') == {
        "city": "Oslo",
        "unit": Unit.CELSIUS,
        "days": 1,
        "when": None,
    }
    assert tool.call(tool.parse_arguments('{"city": "Oslo", "days": null}')) == (
        "Oslo/celsius/1/None"
    )


def test_null_stays_null_when_none_is_a_valid_value() -> None:
    def fn(limit: Optional[int] = 5) -> Optional[int]:
        return limit

    tool = tool_from_function(fn)
    assert tool.parse_arguments('{"limit": null}') == {"limit": None}
    assert tool.parse_arguments("{}") == {"limit": 5}


def test_null_for_a_required_parameter_is_an_error() -> None:
    tool = tool_from_function(get_weather)
    with pytest.raises(ToolArgumentsError) as info:
        tool.parse_arguments('{"city": null}')
    assert info.value.errors == [("city", "Input should be a valid string (got null)")]


def test_empty_arguments_mean_no_arguments() -> None:
    def now() -> str:
        return "now"

    tool = tool_from_function(now)
    assert tool.parse_arguments("") == {}
    assert tool.parse_arguments("  ") == {}
    assert tool.call(tool.parse_arguments("{}")) == "now"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"city": "Oslo"',
            "Invalid arguments for tool 'get_weather': the arguments are not valid JSON:"
            " Expecting ',' delimiter at line 1 column 16",
        ),
        (
            '["Oslo"]',
            "Invalid arguments for tool 'get_weather': the arguments must be a JSON object,"
            " not list",
        ),
        (
            "null",
            "Invalid arguments for tool 'get_weather': the arguments must be a JSON object,"
            " not null",
        ),
        (
            '{"unit": "kelvin", "days": "two", "extra": 1}',
            "Invalid arguments for tool 'get_weather': city: Field required;"
            " unit: Input should be 'celsius' or 'fahrenheit' (got \"kelvin\");"
            " days: Input should be a valid integer, unable to parse string as an integer"
            ' (got "two"); extra: Extra inputs are not permitted (got 1)',
        ),
    ],
    ids=["bad-json", "not-object", "null", "wrong-types-missing-extra"],
)
def test_invalid_arguments_say_what_and_where(text: str, message: str) -> None:
    tool = tool_from_function(get_weather)
    with pytest.raises(ToolArgumentsError) as info:
        tool.parse_arguments(text)
    assert str(info.value) == message
    assert isinstance(info.value, WorkbenchError)
    assert info.value.tool == "get_weather"


def test_nested_errors_name_the_path() -> None:
    tool = tool_from_function(place_order)
    with pytest.raises(ToolArgumentsError) as info:
        tool.parse_arguments(
            '{"items": [{"sku": "A"}, {"quantity": 1}], "ship_to": {"street": "x"},'
            ' "speed": "now", "gift": false}'
        )
    assert [field for field, _ in info.value.errors] == [
        "items[1].sku",
        "ship_to.city",
        "speed",
    ]


def test_errors_become_tool_messages() -> None:
    tool = tool_from_function(get_weather)
    with pytest.raises(ToolArgumentsError) as info:
        tool.parse_arguments("{}")
    assert json.loads(tool_error_to_content(info.value)) == {
        "error": "ToolArgumentsError: Invalid arguments for tool 'get_weather':"
        " city: Field required"
    }


# -- calling ----------------------------------------------------------------------------------


def test_call_sync_function() -> None:
    tool = tool_from_function(get_weather)
    assert tool.call({"city": "Rome", "days": 3}) == "Rome/celsius/3/None"


def test_call_async_function_from_sync_code() -> None:
    tool = tool_from_function(add)
    assert tool.is_async is True
    assert tool.call(tool.parse_arguments('{"a": 1, "b": null}')) == 3


async def test_acall_async_function_inside_a_running_loop() -> None:
    tool = tool_from_function(add)
    assert await tool.acall({"a": 40, "b": 2}) == 42


async def test_call_async_function_while_a_loop_runs_in_this_thread() -> None:
    """The notebook case: a cell runs sync code while the kernel's event loop is running."""
    loop_thread = threading.get_ident()
    seen: list[int] = []
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    var.set("from the caller")

    async def where() -> str:
        seen.append(threading.get_ident())
        await asyncio.sleep(0)
        return var.get()

    tool = tool_from_function(where)
    assert tool.call({}) == "from the caller"
    assert seen and seen[0] != loop_thread


async def test_acall_runs_a_sync_function_in_a_worker_thread() -> None:
    caller = threading.get_ident()

    def where() -> int:
        return threading.get_ident()

    assert await tool_from_function(where).acall({}) != caller


async def test_acall_awaits_the_result_of_a_sync_wrapper_returning_a_coroutine() -> None:
    def wrapper(a: int) -> Any:
        return add(a, 1)

    tool = tool_from_function(wrapper)
    assert tool.is_async is False
    assert await tool.acall({"a": 1}) == 2
    assert tool.call({"a": 2}) == 3


def test_async_callable_object_is_async() -> None:
    class Adder:
        async def __call__(self, a: int) -> int:
            return a + 100

    tool = as_tool(Adder())
    assert tool.is_async is True
    assert tool.call({"a": 1}) == 101


def test_exceptions_from_the_function_propagate() -> None:
    def boom() -> None:
        raise ValueError("no such city")

    tool = tool_from_function(boom)
    with pytest.raises(ValueError, match="no such city"):
        tool.call({})
    with pytest.raises(ValueError, match="no such city"):
        asyncio.run(tool.acall({}))


# -- as_tool ----------------------------------------------------------------------------------


def test_as_tool_returns_a_tool_as_is() -> None:
    tool = tool_from_function(get_weather)
    assert as_tool(tool) is tool
    assert tool.enabled is True


@pytest.mark.parametrize(
    "declared",
    [pydantic_function_tool(Address), openai_function_tool(Address), Address],
    ids=["workbench", "openai", "model-class"],
)
def test_pydantic_declarations_parse_into_the_model(declared: Any) -> None:
    tool = as_tool(declared)
    assert (tool.name, tool.description, tool.strict) == ("Address", "A postal address.", True)
    assert tool.function is None
    assert tool.model is Address
    assert tool.parse_model('{"street": "Main", "city": "Oslo"}') == Address(
        street="Main", city="Oslo"
    )
    assert tool.parse_arguments('{"street": "Main", "city": "Oslo"}') == {
        "street": "Main",
        "city": "Oslo",
    }
    with pytest.raises(ToolArgumentsError, match="city: Field required"):
        tool.parse_model('{"street": "Main"}')
    with pytest.raises(WorkbenchError, match="no function to call"):
        tool.call({"street": "Main", "city": "Oslo"})


def test_a_function_can_be_attached_to_a_declaration() -> None:
    declared = as_tool(pydantic_function_tool(Address))
    tool = Tool(
        declared.name,
        description=declared.description,
        parameters=declared.parameters,
        strict=declared.strict,
        model=declared.model,
        function=lambda street, city: f"{street}, {city}",
    )
    assert tool.call(tool.parse_arguments('{"street": "Main", "city": "Oslo"}')) == "Main, Oslo"


def test_raw_dict_is_declaration_only() -> None:
    raw = {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look something up.",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }
    tool = as_tool(raw)
    assert (tool.name, tool.strict, tool.model, tool.function) == ("lookup", False, None, None)
    assert tool.to_param() == {**raw, "function": {**raw["function"], "strict": False}}
    assert tool.parse_arguments('{"q": "x", "anything": [1]}') == {"q": "x", "anything": [1]}
    with pytest.raises(ToolArgumentsError, match="not valid JSON"):
        tool.parse_arguments("{q}")
    with pytest.raises(WorkbenchError, match="raw declaration"):
        tool.parse_model("{}")


@pytest.mark.parametrize(
    "obj",
    [
        42,
        "get_weather",
        {"type": "function"},
        {"type": "custom", "custom": {"name": "x"}},
        {"type": "function", "function": {"name": "x", "parameters": "nope"}},
        Item,
    ],
)
def test_as_tool_refuses_other_things(obj: object) -> None:
    with pytest.raises(InvalidParameterError) as info:
        as_tool(obj)
    assert info.value.param == "tools"
    assert "pydantic_function_tool" in str(info.value.allowed)


def test_raw_dict_with_a_bad_name_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="not a valid tool name"):
        as_tool({"type": "function", "function": {"name": "two words"}})


# -- results and errors as tool messages ------------------------------------------------------


class Color(enum.Enum):
    RED = "red"


@dataclass
class Reading:
    at: datetime.datetime
    values: tuple[float, ...]
    color: Color


class FakeArray:
    """Quacks like a numpy array."""

    def tolist(self) -> list[Any]:
        return [[1, 2], [3, float("nan")]]


class FakeFrame:
    """Quacks like a pandas DataFrame (the module is what is checked)."""

    columns = ("a", "b")

    def to_dict(self, orient: str = "dict") -> Any:
        assert orient == "records"
        return [{"a": 1, "b": datetime.date(2024, 1, 2)}, {"a": 2, "b": None}]


FakeFrame.__module__ = "pandas.core.frame"


@pytest.mark.parametrize(
    ("value", "content"),
    [
        ("plain text", "plain text"),
        ("", ""),
        (None, "null"),
        (3, "3"),
        (float("inf"), "null"),
        ({"ok": True, "n": [1, 2]}, '{"ok": true, "n": [1, 2]}'),
        ((1, "a"), '[1, "a"]'),
        ({3, 1, 2}, "[1, 2, 3]"),
        (Address(street="Main", city="Oslo"), '{"street": "Main", "city": "Oslo"}'),
        (
            Reading(datetime.datetime(2024, 5, 1, 12, 30), (1.5, 2.0), Color.RED),
            '{"at": "2024-05-01T12:30:00", "values": [1.5, 2.0], "color": "red"}',
        ),
        ([Item("A1")], '[{"sku": "A1", "quantity": 1}]'),
        (FakeArray(), "[[1, 2], [3, null]]"),
        (FakeFrame(), '[{"a": 1, "b": "2024-01-02"}, {"a": 2, "b": null}]'),
        ({datetime.date(2024, 1, 1): "x", Color.RED: 1}, '{"2024-01-01": "x", "red": 1}'),
        ({"path": object}, '{"path": "<class \'object\'>"}'),
        ("ünïcode", "ünïcode"),
        (["ünïcode"], '["ünïcode"]'),
    ],
)
def test_tool_result_to_content(value: object, content: str) -> None:
    assert tool_result_to_content(value) == content


def test_a_real_dataframe_becomes_records() -> None:
    import pandas as pd

    frame = pd.DataFrame({"a": [1, 2], "b": ["x", None]})
    assert json.loads(tool_result_to_content(frame)) == [
        {"a": 1, "b": "x"},
        {"a": 2, "b": None},
    ]


def test_self_referencing_results_do_not_recurse_forever() -> None:
    loop: list[Any] = []
    loop.append(loop)
    assert tool_result_to_content(loop).startswith("[[[")


def test_tool_error_to_content_has_type_and_message_only() -> None:
    try:
        raise FileNotFoundError("no such file: notes.txt")
    except FileNotFoundError as exc:
        content = tool_error_to_content(exc)
    assert json.loads(content) == {"error": "FileNotFoundError: no such file: notes.txt"}
    assert "Traceback" not in content and __file__ not in content
    assert json.loads(tool_error_to_content(KeyError())) == {"error": "KeyError"}


# -- docstrings -------------------------------------------------------------------------------


def test_docstring_styles() -> None:
    google = parse_docstring(get_weather.__doc__)
    assert google.params == {
        "city": "The city's name, for example Paris.",
        "unit": "The temperature unit.",
        "days": "How many days ahead.",
    }
    numpy = parse_docstring(place_order.__doc__)
    assert numpy.description == "Place an order."
    assert numpy.params == {
        "items": "What to order.",
        "ship_to": "Where to send it.",
        "speed": "Delivery options.",
        "gift": "Delivery options.",
    }
    sphinx = parse_docstring(search.__doc__)
    assert sphinx.params == {
        "query": "Ignored: the Annotated description wins.",
        "limit": "At most this many results.",
        "tags": "Only notes with all of these tags.",
    }
    assert parse_docstring(None) == ("", {})
    assert parse_docstring("   ") == ("", {})


def test_docstring_edge_cases() -> None:
    doc = """Summary line.

    Note: a colon in the description is not a section.

    Args:
        *paths (str): Files to read.
        **options: Extra options, over
            two lines.

            And a second paragraph.
        flag (bool, optional): On or off.
    Raises:
        ValueError: never a parameter.
    """
    parsed = parse_docstring(doc)
    assert (
        parsed.description == "Summary line.\n\nNote: a colon in the description is not a section."
    )
    assert parsed.params == {
        "paths": "Files to read.",
        "options": "Extra options, over two lines.\n\nAnd a second paragraph.",
        "flag": "On or off.",
    }
    sphinx = parse_docstring(
        "Do it.\n\n:param str name: The name,\n    continued.\n:type name: str\n:raises X: y"
    )
    assert sphinx == ("Do it.", {"name": "The name, continued."})


# -- with the local model ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "prompt"),
    [
        (get_weather, "What's the weather in Paris in fahrenheit?"),
        (place_order, "Order two apples, express, to 1 Main St in Oslo"),
        (search, "Search my notes for 'budget'"),
        (add, "Add 2 and 40"),
    ],
    ids=lambda value: getattr(value, "__name__", "prompt"),
)
def test_the_local_model_calls_tools_with_arguments_that_parse(fn: Any, prompt: str) -> None:
    tool = tool_from_function(fn)
    client = workbench.Client(local=True)
    completion = client.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": prompt}],
        tools=[tool.to_param()],
        tool_choice="required",
    )
    calls = completion.choices[0].message.tool_calls
    assert calls
    for call in calls:
        assert call.function.name == tool.name
        arguments = tool.parse_arguments(call.function.arguments)
        assert set(arguments) == set(tool.parameters["properties"])
        tool_result_to_content(tool.call(arguments))


def test_importing_tools_leaves_pandas_out() -> None:
    code = "import sys, workbench.conversation._tools; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
