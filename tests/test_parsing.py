"""Parsing completions: content into the response_format type, tool arguments into models."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any, Literal, Optional, Union

import jsonschema
import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from typing_extensions import TypedDict

from tests.conftest import FIXTURES
from workbench._exceptions import (
    ContentFilterFinishReasonError,
    InvalidParameterError,
    LengthFinishReasonError,
    OutputValidationError,
)
from workbench._sentinels import NOT_GIVEN
from workbench.protocol._parsing import (
    has_parseable_input,
    parse_chat_completion,
    parse_partial_content,
    parse_tool_arguments,
    validate_input_tools,
)
from workbench.protocol._schema import pydantic_function_tool, to_strict_json_schema
from workbench.types import (
    ChatCompletion,
    ChatCompletionFunctionToolParam,
    ChatCompletionMessageCustomToolCall,
    ParsedFunctionToolCall,
)

RESPONSES = FIXTURES / "recorded-responses"

# -- the models the responses were recorded with -----------------------------------------------


class Location(BaseModel):
    city: str
    temperature: float
    units: Literal["c", "f"]


class LocationOptionalUnits(BaseModel):
    city: str
    temperature: float
    units: Optional[Literal["c", "f"]] = None


@dataclass
class CalendarEvent:
    name: str
    date: str
    participants: list[str]


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"
    GREEN = "green"


class ColorDetection(BaseModel):
    color: Color
    hex_color_code: str


class GetWeatherArgs(BaseModel):
    city: str
    country: str
    units: Literal["c", "f"] = "c"


class GetStockPrice(BaseModel):
    ticker: str
    exchange: str


class Table(str, enum.Enum):
    orders = "orders"
    customers = "customers"
    products = "products"


class Column(str, enum.Enum):
    id = "id"
    status = "status"
    expected_delivery_date = "expected_delivery_date"
    delivered_at = "delivered_at"
    shipped_at = "shipped_at"
    ordered_at = "ordered_at"
    canceled_at = "canceled_at"


class Operator(str, enum.Enum):
    eq = "="
    gt = ">"
    lt = "<"
    le = "<="
    ge = ">="
    ne = "!="


class OrderBy(str, enum.Enum):
    asc = "asc"
    desc = "desc"


class DynamicValue(BaseModel):
    column_name: str


class Condition(BaseModel):
    column: str
    operator: Operator
    value: Union[str, int, DynamicValue]


class Query(BaseModel):
    name: Optional[str] = None
    table_name: Table
    columns: list[Column]
    conditions: list[Condition]
    order_by: OrderBy


STRICT_WEATHER_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "state": {"type": "string"}},
            "required": ["city", "state"],
            "additionalProperties": False,
        },
    },
}

LOOSE_WEATHER_TOOL: ChatCompletionFunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def recorded(name: str) -> ChatCompletion:
    return ChatCompletion.model_validate_json((RESPONSES / name).read_text())


def completion(
    content: str | None = None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> ChatCompletion:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    return ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            **extra,
        }
    )


def call(name: str, arguments: str, id: str = "call_1") -> dict[str, Any]:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


# -- the recorded responses -------------------------------------------------------------------


def test_every_recorded_response_is_covered() -> None:
    covered = {
        "plain-text.json",
        "raw-response.json",
        "raw-response-async.json",
        "structured-pydantic.json",
        "structured-optional-default.json",
        "structured-dataclass.json",
        "structured-enum.json",
        "structured-pydantic-n3.json",
        "structured-refusal.json",
        "structured-max-tokens-1.json",
        "pydantic-tool.json",
        "two-pydantic-tools.json",
        "strict-tool.json",
        "tool-all-types.json",
    }
    assert {path.name for path in RESPONSES.glob("*.json")} == covered


def test_plain_text() -> None:
    original = recorded("plain-text.json")
    parsed = parse_chat_completion(completion=original, response_format=NOT_GIVEN, input_tools=None)
    message = parsed.choices[0].message
    assert message.parsed is None
    assert message.tool_calls is None
    assert message.content == original.choices[0].message.content
    assert (message.content or "").startswith("I'm unable to provide real-time weather updates.")


@pytest.mark.parametrize(
    ("name", "temperature"),
    [("structured-pydantic.json", 65), ("raw-response.json", 58), ("raw-response-async.json", 65)],
)
def test_structured_pydantic(name: str, temperature: float) -> None:
    parsed = parse_chat_completion(completion=recorded(name), response_format=Location)
    location = parsed.choices[0].message.parsed
    assert location == Location(city="San Francisco", temperature=temperature, units="f")
    assert type(location) is Location


def test_structured_optional_default() -> None:
    original = recorded("structured-optional-default.json")
    parsed = parse_chat_completion(completion=original, response_format=LocationOptionalUnits)
    assert parsed.choices[0].message.parsed == LocationOptionalUnits(
        city="San Francisco", temperature=65, units="f"
    )
    # the optional field is nullable and required in the schema the request carried
    schema = to_strict_json_schema(LocationOptionalUnits)
    assert schema["required"] == ["city", "temperature", "units"]
    jsonschema.validate(json.loads(original.choices[0].message.content or ""), schema)
    jsonschema.validate({"city": "x", "temperature": 1, "units": None}, schema)


def test_structured_dataclass() -> None:
    parsed = parse_chat_completion(
        completion=recorded("structured-dataclass.json"), response_format=CalendarEvent
    )
    assert parsed.choices[0].message.parsed == CalendarEvent(
        name="Science Fair", date="Friday", participants=["Alice", "Bob"]
    )


def test_structured_enum() -> None:
    parsed = parse_chat_completion(
        completion=recorded("structured-enum.json"), response_format=ColorDetection
    )
    detection = parsed.choices[0].message.parsed
    assert detection == ColorDetection(color=Color.RED, hex_color_code="#FF0000")
    assert detection.color is Color.RED


def test_structured_pydantic_n3() -> None:
    parsed = parse_chat_completion(
        completion=recorded("structured-pydantic-n3.json"), response_format=Location
    )
    assert [choice.index for choice in parsed.choices] == [0, 1, 2]
    assert [choice.message.parsed for choice in parsed.choices] == [
        Location(city="San Francisco", temperature=64, units="f"),
        Location(city="San Francisco", temperature=65, units="f"),
        Location(city="San Francisco", temperature=63, units="f"),
    ]


def test_structured_refusal() -> None:
    parsed = parse_chat_completion(
        completion=recorded("structured-refusal.json"), response_format=Location
    )
    message = parsed.choices[0].message
    assert message.parsed is None
    assert message.content is None
    assert message.refusal == "I'm very sorry, but I can't assist with that."


def test_structured_max_tokens_1() -> None:
    original = recorded("structured-max-tokens-1.json")
    with pytest.raises(LengthFinishReasonError) as info:
        parse_chat_completion(completion=original, response_format=Location)
    assert info.value.completion is original
    assert "completion_tokens" in str(info.value)


def test_pydantic_tool() -> None:
    tools = [pydantic_function_tool(GetWeatherArgs)]
    parsed = parse_chat_completion(completion=recorded("pydantic-tool.json"), input_tools=tools)
    message = parsed.choices[0].message
    assert message.parsed is None
    assert message.tool_calls is not None
    [tool_call] = message.tool_calls
    assert tool_call.id == "call_Y6qJ7ofLgOrBnMD5WbVAeiRV"
    assert tool_call.function.name == "GetWeatherArgs"
    assert tool_call.function.parsed_arguments == GetWeatherArgs(
        city="Edinburgh", country="UK", units="c"
    )
    assert type(tool_call.function.parsed_arguments) is GetWeatherArgs


def test_two_pydantic_tools() -> None:
    tools = [
        pydantic_function_tool(GetWeatherArgs),
        pydantic_function_tool(GetStockPrice, name="get_stock_price"),
    ]
    parsed = parse_chat_completion(
        completion=recorded("two-pydantic-tools.json"), input_tools=tools
    )
    calls = parsed.choices[0].message.tool_calls or []
    assert [c.function.parsed_arguments for c in calls] == [
        GetWeatherArgs(city="Edinburgh", country="GB", units="c"),
        GetStockPrice(ticker="AAPL", exchange="NASDAQ"),
    ]
    assert [c.id for c in calls] == [
        "call_fdNz3vOBKYgOIpMdWotB9MjY",
        "call_h1DWI1POMJLb0KwIyQHWXD4p",
    ]


def test_strict_tool() -> None:
    parsed = parse_chat_completion(
        completion=recorded("strict-tool.json"), input_tools=[STRICT_WEATHER_TOOL]
    )
    [tool_call] = parsed.choices[0].message.tool_calls or []
    assert tool_call.function.parsed_arguments == {"city": "San Francisco", "state": "CA"}
    assert tool_call.function.arguments == '{"city":"San Francisco","state":"CA"}'


def test_tool_all_types() -> None:
    parsed = parse_chat_completion(
        completion=recorded("tool-all-types.json"), input_tools=[pydantic_function_tool(Query)]
    )
    [tool_call] = parsed.choices[0].message.tool_calls or []
    query = tool_call.function.parsed_arguments
    assert isinstance(query, Query)
    assert query.name == "May 2022 Fulfilled Orders Not Delivered on Time"
    assert query.table_name is Table.orders
    assert query.columns[0] is Column.id
    assert len(query.columns) == 7
    assert query.order_by is OrderBy.asc
    assert query.conditions == [
        Condition(column="ordered_at", operator=Operator.ge, value="2022-05-01"),
        Condition(column="ordered_at", operator=Operator.le, value="2022-05-31"),
        Condition(column="status", operator=Operator.eq, value="fulfilled"),
        Condition(
            column="delivered_at",
            operator=Operator.gt,
            value=DynamicValue(column_name="expected_delivery_date"),
        ),
    ]


@pytest.mark.parametrize("name", sorted(p.name for p in RESPONSES.glob("*.json")))
def test_parsed_completion_keeps_what_the_server_sent(name: str) -> None:
    parsed = parse_chat_completion(completion=recorded(name))
    data = parsed.to_dict()
    for choice in data["choices"]:
        assert choice["message"].pop("parsed") is None
        for tool_call in choice["message"].get("tool_calls") or []:
            assert tool_call["function"].pop("parsed_arguments") is None
    assert data == json.loads((RESPONSES / name).read_text())


# -- hand-made completions --------------------------------------------------------------------


def test_length_and_content_filter_raise_when_something_is_parsed() -> None:
    with pytest.raises(LengthFinishReasonError):
        parse_chat_completion(
            completion=completion('{"ci', finish_reason="length"), response_format=Location
        )
    with pytest.raises(ContentFilterFinishReasonError):
        parse_chat_completion(
            completion=completion(None, finish_reason="content_filter"), response_format=Location
        )
    tools = [pydantic_function_tool(GetWeatherArgs)]
    with pytest.raises(LengthFinishReasonError):
        parse_chat_completion(
            completion=completion("Hi", finish_reason="length"), input_tools=tools
        )


def test_length_without_anything_to_parse_keeps_the_text() -> None:
    """Unlike openai 1.106 (see openai-python PR #3589): a cut-off plain reply is still a reply."""
    for response_format in (NOT_GIVEN, None, "text", {"type": "json_object"}):
        parsed = parse_chat_completion(
            completion=completion("Once upon a", finish_reason="length"),
            response_format=response_format,
            input_tools=[LOOSE_WEATHER_TOOL],
        )
        assert parsed.choices[0].message.content == "Once upon a"
        assert parsed.choices[0].finish_reason == "length"


def test_invalid_json_content_is_a_workbench_error() -> None:
    with pytest.raises(OutputValidationError) as info:
        parse_chat_completion(completion=completion('{"city": '), response_format=Location)
    error = info.value
    assert error.location == "choices[0].message.content"
    assert error.text == '{"city": '
    assert error.completion is not None
    assert isinstance(error, ValueError)
    assert str(error).startswith("choices[0].message.content: ")


def test_json_of_the_wrong_shape_is_a_workbench_error() -> None:
    text = '{"city": "SF", "temperature": "hot", "units": "k"}'
    with pytest.raises(OutputValidationError, match="temperature") as info:
        parse_chat_completion(completion=completion(text), response_format=Location)
    assert info.value.text == text
    first = str(info.value).splitlines()[0]  # what a view shows: each fault, no repr
    assert first == (
        "choices[0].message.content: the output could not be parsed: temperature: Input should"
        " be a valid number, unable to parse string as a number; units: Input should be 'c' or"
        " 'f'"
    )


def test_a_reply_cut_at_the_limit_names_its_tokens_not_a_usage_dict() -> None:
    from workbench._exceptions import LengthFinishReasonError
    from workbench.types import ChatCompletion

    cut = ChatCompletion.model_validate(
        {"id": "c", "object": "chat.completion", "created": 0, "model": "m",
         "choices": [{"index": 0, "finish_reason": "length",
                      "message": {"role": "assistant", "content": "{"}}],
         "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14}}
    )  # fmt: skip
    text = str(LengthFinishReasonError(completion=cut))
    assert text == (
        "Could not parse the response: the token limit was reached after 5 tokens"
        " (finish_reason length). Raise max_completion_tokens or shorten the request."
    )


@pytest.mark.parametrize(
    "text", ['{"city": ', '{"city": "SF", "temperature": "hot", "units": "k"}', "[]"]
)
def test_code_written_for_openai_catches_the_parse_error_as_pydantics(text: str) -> None:
    """openai's ``.parse()`` raises pydantic's ValidationError for bad output; workbench's error
    is one too (with the same errors), so ``except pydantic.ValidationError`` keeps working."""
    import httpx
    import pydantic

    import workbench

    body = completion(text).model_dump(mode="json")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    raised = []
    for sdk in (openai.OpenAI, workbench.Client):
        client = sdk(api_key="sk-test", http_client=httpx.Client(transport=transport))
        try:
            client.chat.completions.parse(
                model="gpt-4o", messages=[{"role": "user", "content": "?"}],
                response_format=Location,
            )  # fmt: skip
        except pydantic.ValidationError as error:
            raised.append(error)
    theirs, ours = raised
    assert isinstance(ours, OutputValidationError) and isinstance(ours, ValueError)
    simple = [{"type": e["type"], "loc": e["loc"]} for e in theirs.errors()]
    assert [{"type": e["type"], "loc": e["loc"]} for e in ours.errors()] == simple
    assert ours.error_count() == theirs.error_count()
    assert str(ours).startswith("choices[0].message.content: the output could not be parsed")
    assert ours.text == text and ours.completion is not None


@pytest.mark.parametrize(
    "response_format",
    [
        {"type": "object", "properties": {"a": {"type": "integer"}}},
        {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
    ],
)
def test_json_schema_dicts_parse_to_plain_data(response_format: dict[str, Any]) -> None:
    parsed = parse_chat_completion(
        completion=completion('{"a": 1}'), response_format=response_format
    )
    assert parsed.choices[0].message.parsed == {"a": 1}
    with pytest.raises(OutputValidationError):
        parse_chat_completion(completion=completion("{a: 1}"), response_format=response_format)


@pytest.mark.parametrize(
    "response_format", ["text", "json_object", {"type": "json_object"}, {"type": "text"}]
)
def test_formats_without_a_schema_are_not_parsed(response_format: Any) -> None:
    parsed = parse_chat_completion(
        completion=completion('{"a": 1}'), response_format=response_format
    )
    assert parsed.choices[0].message.parsed is None
    assert not has_parseable_input(response_format, None)


def test_other_types_parse_through_a_type_adapter() -> None:
    class Point(TypedDict):
        x: int
        y: int

    parsed = parse_chat_completion(
        completion=completion('{"x": 1, "y": "2"}'), response_format=Point
    )
    assert parsed.choices[0].message.parsed == {"x": 1, "y": 2}


def test_a_refusal_is_not_parsed_even_beside_content() -> None:
    text = '{"city": "SF", "temperature": 1, "units": "c"}'
    parsed = parse_chat_completion(
        completion=completion(text, refusal="I can't help with that."), response_format=Location
    )
    message = parsed.choices[0].message
    assert message.parsed is None
    assert message.refusal == "I can't help with that."


def test_empty_content_is_not_parsed() -> None:
    parsed = parse_chat_completion(completion=completion(""), response_format=Location)
    assert parsed.choices[0].message.parsed is None


def test_tool_calls() -> None:
    tools: list[Any] = [
        pydantic_function_tool(GetWeatherArgs),
        STRICT_WEATHER_TOOL,
        {**LOOSE_WEATHER_TOOL, "function": {**LOOSE_WEATHER_TOOL["function"], "name": "loose"}},
    ]
    calls = [
        call("GetWeatherArgs", '{"city": "Oslo", "country": "NO", "units": "c"}', "a"),
        call("get_weather", '{"city": "Oslo", "state": "-"}', "b"),
        call("loose", "not even json", "c"),
        call("unknown", "{", "d"),
    ]
    parsed = parse_chat_completion(completion=completion(tool_calls=calls), input_tools=tools)
    results = [c.function.parsed_arguments for c in parsed.choices[0].message.tool_calls or []]
    assert results == [
        GetWeatherArgs(city="Oslo", country="NO", units="c"),
        {"city": "Oslo", "state": "-"},
        None,  # a non-strict tool is not parsed
        None,  # nor is a tool the request did not have
    ]


def test_invalid_tool_arguments_name_the_call() -> None:
    tools = [pydantic_function_tool(GetWeatherArgs)]
    calls = [call("GetWeatherArgs", '{"city": "Oslo"}')]
    with pytest.raises(OutputValidationError, match="country") as info:
        parse_chat_completion(completion=completion(tool_calls=calls), input_tools=tools)
    assert info.value.location == "choices[0].message.tool_calls[0].function.arguments"


def test_custom_tool_calls_are_kept_unparsed() -> None:
    calls = [
        {"id": "c1", "type": "custom", "custom": {"name": "grep", "input": "foo"}},
        call("get_weather", '{"city": "Oslo", "state": "-"}', "c2"),
    ]
    parsed = parse_chat_completion(
        completion=completion(tool_calls=calls), input_tools=[STRICT_WEATHER_TOOL]
    )
    custom, function = parsed.choices[0].message.tool_calls or []
    assert isinstance(custom, ChatCompletionMessageCustomToolCall)
    assert (custom.id, custom.custom.name, custom.custom.input) == ("c1", "grep", "foo")
    assert isinstance(function, ParsedFunctionToolCall)
    assert function.function.parsed_arguments == {"city": "Oslo", "state": "-"}


def test_unknown_fields_and_usage_survive() -> None:
    original = completion(
        '{"city": "SF", "temperature": 1, "units": "c"}',
        usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        provider="local",
    )
    parsed = parse_chat_completion(completion=original, response_format=Location)
    assert parsed.model_extra == {"provider": "local"}
    assert parsed.usage == original.usage
    assert parsed.choices[0].message.parsed == Location(city="SF", temperature=1, units="c")


def test_openai_pydantic_function_tools_are_understood() -> None:
    tools = [openai.pydantic_function_tool(GetWeatherArgs)]
    calls = [call("GetWeatherArgs", '{"city": "Oslo", "country": "NO", "units": "f"}')]
    parsed = parse_chat_completion(completion=completion(tool_calls=calls), input_tools=tools)
    [tool_call] = parsed.choices[0].message.tool_calls or []
    assert tool_call.function.parsed_arguments == GetWeatherArgs(
        city="Oslo", country="NO", units="f"
    )


def test_a_response_format_that_is_no_format_is_refused() -> None:
    with pytest.raises(InvalidParameterError) as info:
        parse_chat_completion(completion=completion("{}"), response_format=42)
    assert info.value.param == "response_format"


# -- validate_input_tools and has_parseable_input ---------------------------------------------


def test_validate_input_tools_accepts_strict_function_tools() -> None:
    validate_input_tools([pydantic_function_tool(GetWeatherArgs), STRICT_WEATHER_TOOL])
    validate_input_tools(NOT_GIVEN)
    validate_input_tools(None)
    validate_input_tools([])


def test_validate_input_tools_refuses_non_strict_tools() -> None:
    with pytest.raises(InvalidParameterError, match="'get_weather' is not strict") as info:
        validate_input_tools([STRICT_WEATHER_TOOL, LOOSE_WEATHER_TOOL])
    assert info.value.param == "tools[1].function.strict"
    assert info.value.allowed == "True"
    not_strict = {
        "type": "function",
        "function": {**STRICT_WEATHER_TOOL["function"], "strict": False},
    }
    with pytest.raises(InvalidParameterError):
        validate_input_tools([not_strict])


def test_validate_input_tools_refuses_custom_tools() -> None:
    with pytest.raises(InvalidParameterError, match="function tools") as info:
        validate_input_tools([{"type": "custom", "custom": {"name": "grep"}}])
    assert info.value.param == "tools[0].type"


def test_has_parseable_input() -> None:
    assert has_parseable_input(Location, None)
    assert has_parseable_input(CalendarEvent, NOT_GIVEN)
    assert has_parseable_input({"type": "object", "properties": {}}, None)
    assert has_parseable_input(NOT_GIVEN, [pydantic_function_tool(GetWeatherArgs)])
    assert has_parseable_input(None, [LOOSE_WEATHER_TOOL, STRICT_WEATHER_TOOL])
    assert not has_parseable_input(NOT_GIVEN, NOT_GIVEN)
    assert not has_parseable_input(None, [LOOSE_WEATHER_TOOL])
    assert not has_parseable_input("text", [{"type": "custom", "custom": {"name": "x"}}])


# -- streaming: partial content and tool arguments --------------------------------------------


def test_parse_partial_content() -> None:
    text = '{"city": "San Francisco", "temperature": 65, "units": "f"}'
    assert parse_partial_content("", Location) is None
    assert parse_partial_content("  ", Location) is None
    assert parse_partial_content("{", Location) == {}
    assert parse_partial_content('{"city": "San', Location) == {}
    assert parse_partial_content('{"city": "San Francisco", "te', Location) == {
        "city": "San Francisco"
    }
    # a pydantic format still gives a dict: an instance cannot be built from part of the data
    assert parse_partial_content(text, Location) == json.loads(text)
    assert parse_partial_content(text, CalendarEvent) == json.loads(text)
    assert parse_partial_content(text, {"type": "object", "properties": {}}) == json.loads(text)
    assert parse_partial_content("I'm sorry", Location) is None
    assert parse_partial_content(text, None) is None
    assert parse_partial_content(text, "text") is None


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(st.dictionaries(st.text(max_size=6), _JSON_VALUES, max_size=5))
def test_every_prefix_of_a_json_object_parses_to_a_part_of_it(value: dict[str, Any]) -> None:
    text = json.dumps(value)
    for end in range(len(text) + 1):
        partial = parse_partial_content(text[:end], Location)
        assert partial is None or (isinstance(partial, dict) and partial.keys() <= value.keys())
    assert parse_partial_content(text, Location) == value


def test_parse_tool_arguments() -> None:
    tools: list[Any] = [pydantic_function_tool(GetWeatherArgs), STRICT_WEATHER_TOOL]

    def parse(name: str, arguments: str, partial: bool, input_tools: Any = tools) -> object:
        return parse_tool_arguments(
            name=name, arguments=arguments, input_tools=input_tools, partial=partial
        )

    text = '{"city": "Oslo", "country": "NO", "units": "c"}'
    assert parse("GetWeatherArgs", text, False) == GetWeatherArgs(city="Oslo", country="NO")
    assert parse("GetWeatherArgs", text[:25], True) == {"city": "Oslo"}
    assert parse("get_weather", '{"city":"Oslo","state":"-"}', False) == {
        "city": "Oslo",
        "state": "-",
    }
    assert parse("get_weather", '{"city":"Oslo","sta', True) == {"city": "Oslo"}
    assert parse("nope", text, False) is None
    assert parse("get_weather", "{", True, [LOOSE_WEATHER_TOOL]) is None
    assert parse("get_weather", "{", False, [LOOSE_WEATHER_TOOL]) is None
    assert parse("get_weather", "{", False, None) is None
    with pytest.raises(OutputValidationError, match="'GetWeatherArgs'"):
        parse("GetWeatherArgs", text[:25], False)


def test_empty_final_arguments_mean_no_arguments() -> None:
    class NoArgs(BaseModel):
        pass

    tools = [pydantic_function_tool(NoArgs)]
    final = parse_tool_arguments(name="NoArgs", arguments=" ", input_tools=tools, partial=False)
    assert final == NoArgs()
    partial = parse_tool_arguments(name="NoArgs", arguments="", input_tools=tools, partial=True)
    assert partial is None
