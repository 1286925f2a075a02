"""Strict JSON schemas, response formats and function tools built from Python types."""

from __future__ import annotations

import copy
import enum
import json
import pickle
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, Optional, TypeVar, Union

import jsonschema
import pytest
from openai.lib._pydantic import to_strict_json_schema as openai_strict_schema
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

from tests.conftest import SPEC_PATH
from workbench._exceptions import InvalidParameterError
from workbench.protocol._schema import (
    PydanticFunctionTool,
    pydantic_function_tool,
    to_strict_json_schema,
    type_to_response_format,
)

# -- the models ------------------------------------------------------------------------------

V = TypeVar("V")


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"
    GREEN = "green"


class Address(BaseModel):
    """Where someone lives."""

    street: str
    city: str = Field(description="The city name.")


class Person(BaseModel):
    name: str
    age: Optional[int] = None
    nickname: str = "none"
    favourite: Color = Field(description="Their favourite colour.")
    home: Address
    previous: list[Address] = []
    role: Literal["admin", "user"]


class TreeNode(BaseModel):
    label: str
    children: list[TreeNode]
    parent: Optional[TreeNode] = None


class Comment(BaseModel):
    text: str
    replies: list[Annotated[Comment, Field(description="A reply.")]]


@dataclass
class CalendarEvent:
    name: str
    date: str
    participants: list[str] = field(default_factory=list)


class Location(BaseModel):
    city: str
    temperature: float
    units: Literal["c", "f"]


class GetWeatherArgs(BaseModel):
    """Get the weather for a city."""

    city: str
    country: str
    units: Literal["c", "f"] = "c"


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Pet(BaseModel):
    pet: Union[Cat, Dog] = Field(discriminator="kind")


class Constrained(BaseModel):
    code: str = Field(min_length=2, max_length=5, pattern="^[A-Z]+$", description="A code.")
    tags: set[str]
    count: int = Field(ge=0, le=10)


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")
    a: int


# -- the strict-mode rules, checked independently of the code under test ----------------------

_FORBIDDEN = {"default", "oneOf", "allOf", "not", "if", "then", "else", "patternProperties"}
_FORBIDDEN |= {"minLength", "maxLength", "uniqueItems", "discriminator"}
_TYPED = {"type", "$ref", "anyOf", "enum", "const"}
_FORMATS = {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}


def assert_strict(schema: dict[str, Any]) -> None:
    """Fail unless ``schema`` follows every rule of OpenAI's strict mode."""
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema.get("type") == "object", "the root must be an object"
    assert "anyOf" not in schema, "the root must not be a union"

    def resolve(ref: str) -> object:
        node: Any = schema
        for part in ref.removeprefix("#/").split("/") if ref != "#" else ():
            node = node[part]
        return node

    def walk(node: object, where: str) -> None:
        assert isinstance(node, dict) and node, f"{where}: an untyped schema"
        assert not _FORBIDDEN & node.keys(), f"{where}: has {_FORBIDDEN & node.keys()}"
        assert _TYPED & node.keys(), f"{where}: has no type"
        if "$ref" in node:
            assert list(node) == ["$ref"], f"{where}: $ref with siblings {list(node)}"
            assert isinstance(resolve(node["$ref"]), dict), f"{where}: dangling $ref"
        if "format" in node:
            assert node["format"] in _FORMATS, f"{where}: format {node['format']!r}"
        types = node.get("type")
        if types == "object" or "properties" in node:
            assert node.get("additionalProperties") is False, f"{where}: additionalProperties"
            assert node["required"] == list(node["properties"]), f"{where}: required"
            for name, sub in node["properties"].items():
                walk(sub, f"{where}.properties.{name}")
        if types == "array":
            walk(node["items"], f"{where}.items")
        for i, sub in enumerate(node.get("anyOf", [])):
            walk(sub, f"{where}.anyOf[{i}]")
        for name, sub in node.get("$defs", {}).items():
            walk(sub, f"{where}.$defs.{name}")

    walk(schema, "schema")


def test_assert_strict_catches_a_loose_schema() -> None:
    with pytest.raises(AssertionError, match="required"):
        assert_strict(GetWeatherArgs.model_json_schema())
    with_sibling = to_strict_json_schema(Person)
    with_sibling["properties"]["home"]["description"] = "Home."
    with pytest.raises(AssertionError, match="siblings"):
        assert_strict(with_sibling)


# -- snapshots --------------------------------------------------------------------------------

ADDRESS_STRICT = {
    "description": "Where someone lives.",
    "properties": {
        "street": {"title": "Street", "type": "string"},
        "city": {"description": "The city name.", "title": "City", "type": "string"},
    },
    "required": ["street", "city"],
    "title": "Address",
    "type": "object",
    "additionalProperties": False,
}

SNAPSHOTS: dict[str, tuple[Any, dict[str, Any]]] = {
    "nested, $defs, enum, Optional, default, list, Literal": (
        Person,
        {
            "$defs": {
                "Address": ADDRESS_STRICT,
                "Color": {"enum": ["red", "blue", "green"], "title": "Color", "type": "string"},
            },
            "properties": {
                "name": {"title": "Name", "type": "string"},
                # Optional: nullable and required; the `default: null` is gone
                "age": {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "Age"},
                # a non-None default: required, not nullable (the model always chooses)
                "nickname": {"title": "Nickname", "type": "string"},
                # a $ref beside a description is inlined
                "favourite": {
                    "enum": ["red", "blue", "green"],
                    "title": "Color",
                    "type": "string",
                    "description": "Their favourite colour.",
                },
                "home": {"$ref": "#/$defs/Address"},
                "previous": {
                    "items": {"$ref": "#/$defs/Address"},
                    "title": "Previous",
                    "type": "array",
                },
                "role": {"enum": ["admin", "user"], "title": "Role", "type": "string"},
            },
            "required": ["name", "age", "nickname", "favourite", "home", "previous", "role"],
            "title": "Person",
            "type": "object",
            "additionalProperties": False,
        },
    ),
    "recursive": (
        TreeNode,
        {
            "$defs": {
                "TreeNode": {
                    "properties": {
                        "label": {"title": "Label", "type": "string"},
                        "children": {
                            "items": {"$ref": "#/$defs/TreeNode"},
                            "title": "Children",
                            "type": "array",
                        },
                        "parent": {"anyOf": [{"$ref": "#/$defs/TreeNode"}, {"type": "null"}]},
                    },
                    "required": ["label", "children", "parent"],
                    "title": "TreeNode",
                    "type": "object",
                    "additionalProperties": False,
                }
            },
            # the root $ref is inlined: the top level must be an object
            "properties": {
                "label": {"title": "Label", "type": "string"},
                "children": {
                    "items": {"$ref": "#/$defs/TreeNode"},
                    "title": "Children",
                    "type": "array",
                },
                "parent": {"anyOf": [{"$ref": "#/$defs/TreeNode"}, {"type": "null"}]},
            },
            "required": ["label", "children", "parent"],
            "title": "TreeNode",
            "type": "object",
            "additionalProperties": False,
        },
    ),
    "recursive $ref beside a description": (
        Comment,
        {
            "$defs": {
                "Comment": {
                    "properties": {
                        "text": {"title": "Text", "type": "string"},
                        "replies": {
                            "items": {
                                "description": "A reply.",
                                "anyOf": [{"$ref": "#/$defs/Comment"}],
                            },
                            "title": "Replies",
                            "type": "array",
                        },
                    },
                    "required": ["text", "replies"],
                    "title": "Comment",
                    "type": "object",
                    "additionalProperties": False,
                }
            },
            "properties": {
                "text": {"title": "Text", "type": "string"},
                "replies": {
                    # inlining would never end: the ref moves into an anyOf, which may have siblings
                    "items": {"description": "A reply.", "anyOf": [{"$ref": "#/$defs/Comment"}]},
                    "title": "Replies",
                    "type": "array",
                },
            },
            "required": ["text", "replies"],
            "title": "Comment",
            "type": "object",
            "additionalProperties": False,
        },
    ),
    "dataclass": (
        TypeAdapter(CalendarEvent),
        {
            "properties": {
                "name": {"title": "Name", "type": "string"},
                "date": {"title": "Date", "type": "string"},
                "participants": {
                    "items": {"type": "string"},
                    "title": "Participants",
                    "type": "array",
                },
            },
            "required": ["name", "date", "participants"],
            "title": "CalendarEvent",
            "type": "object",
            "additionalProperties": False,
        },
    ),
    "discriminated union": (
        Pet,
        {
            "$defs": {
                "Cat": {
                    "properties": {
                        "kind": {"const": "cat", "title": "Kind", "type": "string"},
                        "lives": {"title": "Lives", "type": "integer"},
                    },
                    "required": ["kind", "lives"],
                    "title": "Cat",
                    "type": "object",
                    "additionalProperties": False,
                },
                "Dog": {
                    "properties": {
                        "kind": {"const": "dog", "title": "Kind", "type": "string"},
                        "good": {"title": "Good", "type": "boolean"},
                    },
                    "required": ["kind", "good"],
                    "title": "Dog",
                    "type": "object",
                    "additionalProperties": False,
                },
            },
            "properties": {
                # oneOf + discriminator -> anyOf: the variants exclude each other anyway
                "pet": {"title": "Pet", "anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]}
            },
            "required": ["pet"],
            "title": "Pet",
            "type": "object",
            "additionalProperties": False,
        },
    ),
    "constraints strict mode does not take": (
        Constrained,
        {
            "properties": {
                "code": {
                    "description": "A code. (minLength: 2; maxLength: 5)",
                    "pattern": "^[A-Z]+$",
                    "title": "Code",
                    "type": "string",
                },
                "tags": {
                    "items": {"type": "string"},
                    "title": "Tags",
                    "type": "array",
                    "description": "uniqueItems: true",
                },
                "count": {"maximum": 10, "minimum": 0, "title": "Count", "type": "integer"},
            },
            "required": ["code", "tags", "count"],
            "title": "Constrained",
            "type": "object",
            "additionalProperties": False,
        },
    ),
}


@pytest.mark.parametrize("case", list(SNAPSHOTS))
def test_strict_schema_snapshot(case: str) -> None:
    model, expected = SNAPSHOTS[case]
    schema = to_strict_json_schema(model)
    assert schema == expected
    assert_strict(schema)


def test_location_schema_matches_the_recorded_request() -> None:
    """The schema the recorded streams were made with (see the manifest) is what we build."""
    expected = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "temperature": {"type": "number"},
            "units": {"type": "string", "enum": ["c", "f"]},
        },
        "required": ["city", "temperature", "units"],
        "additionalProperties": False,
    }
    schema = to_strict_json_schema(Location)
    without_titles = json.loads(json.dumps(schema).replace('"title": "Location", ', ""))
    for prop in without_titles["properties"].values():
        prop.pop("title")
    assert without_titles == expected


def test_strict_schema_is_valid_for_the_data_it_describes() -> None:
    schema = to_strict_json_schema(Person)
    person = Person(
        name="Ada",
        favourite=Color.RED,
        home=Address(street="1 Loop", city="Leeds"),
        role="admin",
    )
    jsonschema.validate(person.model_dump(mode="json"), schema)
    with pytest.raises(jsonschema.ValidationError):  # strict: every key is required
        jsonschema.validate(person.model_dump(mode="json", exclude={"age"}), schema)


def test_typed_dict_and_extra_allow() -> None:
    class Args(TypedDict):
        a: int
        b: Annotated[str, Field(description="B.")]

    schema = to_strict_json_schema(TypeAdapter(Args))
    assert schema["required"] == ["a", "b"]
    assert_strict(schema)
    # extra="allow" beside fixed fields: closed, since strict output never carries extra keys
    assert to_strict_json_schema(Loose)["additionalProperties"] is False


def test_input_schema_is_not_mutated() -> None:
    class Holder(BaseModel):
        inner: Address = Field(description="x")

    adapter = TypeAdapter(Holder)
    before = copy.deepcopy(adapter.json_schema())
    to_strict_json_schema(adapter)
    assert adapter.json_schema() == before


class _FreeDict(BaseModel):
    meta: dict[str, int]


class _AnyValue(BaseModel):
    value: Any


class _BareList(BaseModel):
    items: list  # type: ignore[type-arg]


@pytest.mark.parametrize(
    ("model", "param", "message"),
    [
        (_FreeDict, "_FreeDict.properties.meta", "free-form keys"),
        (_AnyValue, "_AnyValue.properties.value", "any type"),
        (_BareList, "_BareList.properties.items.items", "any type"),
        (TypeAdapter(list[int]), "schema", "top level"),
        (TypeAdapter(Union[Cat, Dog]), "schema", "top level"),
    ],
)
def test_shapes_strict_mode_cannot_express(model: Any, param: str, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message) as info:
        to_strict_json_schema(model)
    assert info.value.param == param
    assert info.value.allowed


def test_not_a_model_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="TypeAdapter"):
        to_strict_json_schema(CalendarEvent)  # type: ignore[arg-type]


# -- response_format --------------------------------------------------------------------------


def test_response_format_from_a_model() -> None:
    assert type_to_response_format(Location) == {
        "type": "json_schema",
        "json_schema": {
            "name": "Location",
            "schema": to_strict_json_schema(Location),
            "strict": True,
        },
    }


def test_response_format_from_a_dataclass_and_a_typed_dict() -> None:
    fmt = type_to_response_format(CalendarEvent)
    assert fmt["type"] == "json_schema"
    spec: Any = fmt["json_schema"]
    assert spec["name"] == "CalendarEvent"
    assert spec["strict"] is True
    assert spec["schema"] == to_strict_json_schema(TypeAdapter(CalendarEvent))

    class Point(TypedDict):
        x: int
        y: int

    assert type_to_response_format(Point)["json_schema"]["name"] == "Point"  # type: ignore[typeddict-item]


def test_generic_model_names_are_made_valid() -> None:
    class Page(BaseModel, Generic[V]):
        items: list[V]

    fmt = type_to_response_format(Page[int])  # the class name is "Page[int]"
    assert fmt["json_schema"]["name"] == "Page_int_"  # type: ignore[typeddict-item]


def test_raw_json_schema_is_wrapped_strict_only_when_it_already_is() -> None:
    strict = {
        "title": "Weather",
        "type": "object",
        "properties": {"city": {"type": "string"}, "state": {"type": "string"}},
        "required": ["state", "city"],  # any order
        "additionalProperties": False,
    }
    fmt = type_to_response_format(strict)
    assert fmt == {
        "type": "json_schema",
        "json_schema": {"name": "Weather", "schema": strict, "strict": True},
    }
    assert fmt["json_schema"]["schema"] is not strict  # type: ignore[typeddict-item]

    loose = {"type": "object", "properties": {"city": {"type": "string"}}}
    assert type_to_response_format(loose) == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": loose, "strict": False},
    }
    with_default = copy.deepcopy(strict)
    with_default["properties"]["city"]["default"] = "SF"  # type: ignore[index]
    assert type_to_response_format(with_default)["json_schema"]["strict"] is False  # type: ignore[typeddict-item]


_CITY = {"type": "string"}


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": _CITY, "b": _CITY}, "required": ["a"]},
        {"type": "object", "properties": {"a": _CITY}, "required": ["a"]},
        {
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/C", "description": "x"}},
            "required": ["a"],
            "additionalProperties": False,
            "$defs": {"C": _CITY},
        },
        {
            "type": "object",
            "properties": {"a": {"type": "object", "additionalProperties": True}},
            "required": ["a"],
            "additionalProperties": False,
        },
        {"type": "array", "items": _CITY},
    ],
)
def test_raw_json_schemas_that_break_a_strict_rule_are_sent_non_strict(
    schema: dict[str, Any],
) -> None:
    fmt = type_to_response_format(schema)
    assert fmt == {
        "type": "json_schema",
        "json_schema": {"name": "response", "schema": schema, "strict": False},
    }


@pytest.mark.parametrize(
    "fmt",
    [
        {"type": "text"},
        {"type": "json_object"},
        {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
        {"type": "json_schema", "json_schema": {"name": "x-1", "schema": {}, "strict": False}},
    ],
)
def test_api_response_formats_pass_through(fmt: dict[str, Any]) -> None:
    assert type_to_response_format(fmt) == fmt


def test_strings_are_a_convenience() -> None:
    assert type_to_response_format("text") == {"type": "text"}
    assert type_to_response_format("json_object") == {"type": "json_object"}


@pytest.mark.parametrize(
    ("value", "param"),
    [
        ("json", "response_format"),
        (42, "response_format"),
        (None, "response_format"),
        (Location(city="x", temperature=1, units="c"), "response_format"),
        ({"type": "xml"}, "response_format"),
        ({"schema": {}}, "response_format"),
        ({"type": "json_schema"}, "response_format.json_schema"),
        (
            {"type": "json_schema", "json_schema": {"schema": {}}},
            "response_format.json_schema.name",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "a b", "schema": {}}},
            "response_format.json_schema.name",
        ),
        (
            {"type": "json_schema", "json_schema": {"name": "a"}},
            "response_format.json_schema.schema",
        ),
    ],
)
def test_response_format_errors_name_the_parameter_and_what_is_allowed(
    value: Any, param: str
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        type_to_response_format(value)
    assert info.value.param == param
    assert info.value.allowed
    assert str(info.value).startswith(f"{param}: ")
    if param == "response_format":
        for kind in ("pydantic model", "dataclass", "JSON schema", "'json_object'", "'text'"):
            assert kind in str(info.value)


def test_response_format_type_errors_name_the_schema_path() -> None:
    with pytest.raises(InvalidParameterError) as info:
        type_to_response_format(_FreeDict)
    assert info.value.param == "response_format.json_schema.schema.properties.meta"
    with pytest.raises(InvalidParameterError, match="pydantic cannot"):
        type_to_response_format(type("Opaque", (), {}))


@pytest.fixture(scope="module")
def spec_components() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return {"components": spec["components"]}


def _validator(components: dict[str, Any], name: str) -> jsonschema.Validator:
    schema = {"$ref": f"#/components/schemas/{name}", **components}
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    "value",
    [Location, Person, TreeNode, Comment, Pet, CalendarEvent, {"type": "object", "properties": {}}],
    ids=repr,
)
def test_response_formats_follow_the_openapi_spec(
    spec_components: dict[str, Any], value: Any
) -> None:
    fmt = type_to_response_format(value)
    _validator(spec_components, "ResponseFormatJsonSchema").validate(fmt)
    with pytest.raises(jsonschema.ValidationError):  # the check can fail
        _validator(spec_components, "ResponseFormatJsonSchema").validate({"type": "json_schema"})


def test_function_tools_follow_the_openapi_spec(spec_components: dict[str, Any]) -> None:
    tool = pydantic_function_tool(GetWeatherArgs)
    _validator(spec_components, "ChatCompletionTool").validate(json.loads(json.dumps(tool)))


# -- pydantic_function_tool -------------------------------------------------------------------


def test_pydantic_function_tool() -> None:
    tool = pydantic_function_tool(GetWeatherArgs)
    assert tool == {
        "type": "function",
        "function": {
            "name": "GetWeatherArgs",
            "strict": True,
            "parameters": {
                "description": "Get the weather for a city.",
                "properties": {
                    "city": {"title": "City", "type": "string"},
                    "country": {"title": "Country", "type": "string"},
                    "units": {"enum": ["c", "f"], "title": "Units", "type": "string"},
                },
                "required": ["city", "country", "units"],
                "title": "GetWeatherArgs",
                "type": "object",
                "additionalProperties": False,
            },
            "description": "Get the weather for a city.",
        },
    }
    assert_strict(tool["function"]["parameters"])


def test_pydantic_function_tool_remembers_its_model_and_serializes_plainly() -> None:
    tool = pydantic_function_tool(GetWeatherArgs, name="get_weather", description="Weather.")
    assert isinstance(tool, PydanticFunctionTool)
    assert tool.model is GetWeatherArgs
    assert tool["function"].model is GetWeatherArgs
    assert tool["function"]["name"] == "get_weather"
    assert tool["function"]["description"] == "Weather."
    assert json.loads(json.dumps(tool)) == tool
    for copied in (copy.deepcopy(tool), pickle.loads(pickle.dumps(tool)), dict(tool)):
        assert copied["function"].model is GetWeatherArgs


def test_pydantic_function_tool_description() -> None:
    class NoDoc(BaseModel):
        a: int

    class LongDoc(BaseModel):
        """First line.

        More.
        """

        a: int

    assert "description" not in pydantic_function_tool(NoDoc)["function"]
    assert pydantic_function_tool(LongDoc)["function"]["description"] == "First line.\n\nMore."


def test_pydantic_function_tool_rejects_a_bad_name() -> None:
    with pytest.raises(InvalidParameterError) as info:
        pydantic_function_tool(GetWeatherArgs, name="get weather")
    assert info.value.param == "name"
    with pytest.raises(InvalidParameterError, match=r"tools\[_FreeDict\]"):
        pydantic_function_tool(_FreeDict)


# -- agreement with openai 1.106.1 ------------------------------------------------------------


def _without_defaults(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_defaults(v) for k, v in node.items() if k != "default"}
    if isinstance(node, list):
        return [_without_defaults(v) for v in node]
    return node


@pytest.mark.parametrize(
    "model",
    [Location, GetWeatherArgs, Person, TreeNode, Address, TypeAdapter(CalendarEvent)],
    ids=repr,
)
def test_agrees_with_openai_except_for_defaults(model: Any) -> None:
    """Same schema as openai's, but every ``default`` is dropped where openai drops only None.

    Strict mode makes every property required, so a default never applies, and Azure OpenAI
    rejects the keyword (openai-agents-python issue #4390).
    """
    ours = to_strict_json_schema(model)
    theirs = openai_strict_schema(copy.deepcopy(model))
    assert ours == _without_defaults(theirs)


def test_openai_keeps_non_none_defaults() -> None:
    theirs = openai_strict_schema(GetWeatherArgs)
    assert theirs["properties"]["units"]["default"] == "c"
    assert "default" not in to_strict_json_schema(GetWeatherArgs)["properties"]["units"]


def test_where_we_deliberately_differ_from_openai() -> None:
    # oneOf (a discriminated union) becomes anyOf; openai leaves oneOf, which strict mode rejects
    assert "oneOf" in openai_strict_schema(Pet)["properties"]["pet"]
    assert "anyOf" in to_strict_json_schema(Pet)["properties"]["pet"]
    # unsupported constraints move into the description; openai leaves them in place
    assert "minLength" in openai_strict_schema(Constrained)["properties"]["code"]
    assert "minLength" not in to_strict_json_schema(Constrained)["properties"]["code"]
    # extra="allow": openai leaves additionalProperties true, which strict mode rejects
    assert openai_strict_schema(Loose)["additionalProperties"] is True
    # free-form dicts: openai passes them on for the API to reject; we raise first
    assert openai_strict_schema(_FreeDict)["properties"]["meta"]["additionalProperties"] == {
        "type": "integer"
    }
    # a recursive $ref with a sibling: openai inlines forever
    with pytest.raises(RecursionError):
        openai_strict_schema(Comment)
