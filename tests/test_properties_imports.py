"""Malformed imports are refused whole: JSONL, DataFrames, Parquet and cassettes, mutated.

Each property starts from a valid file (or table) made by workbench itself, changes it the way
hands, tools and disks do (a value replaced by other JSON, a key dropped or added, bytes
inserted, deleted, replaced or cut off; for tables a cell changed, a column or row dropped, a
row repeated, rows shuffled) and imports it. The import either raises the module's own error
(``TranscriptError``, ``CassetteError``) and imports nothing and changes nothing, or it is a
faithful import of what the file now says: exported again, it gives the mutated content back
(up to documented normalisations). Nothing else may be raised.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pyarrow import ArrowException

import workbench
from tests._mutations import json_paths
from tests.test_export import tool_chat
from workbench import CassetteError, WorkbenchError
from workbench.conversation import Conversation, conversations
from workbench.export import TranscriptError
from workbench.export._jsonl import jsonl_record

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None
)
USER = [{"role": "user", "content": "Tell me about Edinburgh"}]

_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from(
        ["user", "assistant", "tool", "system", "function", "text", "complete", "{}", "[]", "!!"]
    ),
)
_keys = st.one_of(
    st.text(max_size=4),
    st.sampled_from(
        ["role", "content", "tool_calls", "tool_call_id", "name", "type", "function", "weight",
         "refusal", "strict", "status", "body_base64", "error", "headers", "complete"]
    ),
)  # fmt: skip
any_json = st.recursive(
    _leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=2), st.dictionaries(_keys, inner, max_size=2)),
    max_leaves=5,
)


@st.composite
def mutated_json(draw: st.DrawFn, value: Any) -> Any:
    """``value`` (a fresh copy) with one value replaced, one key dropped, or one key added."""
    value = json.loads(json.dumps(value))
    paths = list(json_paths(value))
    depth = draw(st.sampled_from(sorted({len(p) for p in paths})))  # shallow edits as often
    path = draw(st.sampled_from([p for p in paths if len(p) == depth]))
    if not path:
        return draw(any_json)
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    how = draw(st.sampled_from(["replace", "drop", "add"]))
    if how == "drop":
        del parent[path[-1]]
    elif how == "add" and isinstance(parent, dict):
        parent[draw(_keys)] = draw(any_json)
    else:
        parent[path[-1]] = draw(any_json)
    return value


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with one to three bytes edits: inserted, deleted, replaced, or cut off."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(out)))
        piece = draw(st.binary(min_size=1, max_size=4))
        how = draw(st.sampled_from(["insert", "delete", "replace", "cut"]))
        if how == "insert":
            out[at:at] = piece
        elif how == "delete":
            del out[at : at + len(piece)]
        elif how == "replace":
            out[at : at + len(piece)] = piece
        else:
            del out[at:]
    return bytes(out)


@st.composite
def mutated_lines(draw: st.DrawFn, text: str) -> bytes:
    """A JSON Lines file with one line's JSON mutated, or its bytes edited."""
    if draw(st.booleans()):
        return draw(mutated_bytes(text.encode()))
    lines = text.split("\n")
    i = draw(st.sampled_from([i for i, line in enumerate(lines) if line.strip()]))
    lines[i] = json.dumps(draw(mutated_json(json.loads(lines[i]))), ensure_ascii=False)
    return "\n".join(lines).encode()


# -- JSONL ---------------------------------------------------------------------------------------


@functools.cache
def jsonl_text() -> str:
    first, second = tool_chat(), tool_chat()
    second.regenerate()
    return "".join(json.dumps(jsonl_record(c), ensure_ascii=False) + "\n" for c in (first, second))


def normalized(record: dict[str, Any]) -> dict[str, Any]:
    """A line as ``to_jsonl`` writes what was read from it: the documented normalisations
    (``weight`` read and dropped; absent and null optional fields alike; a tool call's type
    and a declaration's ``strict`` and ``parameters`` at their defaults; no tools as none)."""
    out = dict(record)
    messages = []
    for message in out["messages"]:
        message = {k: v for k, v in message.items() if k != "weight"}
        for key in ("name", "refusal"):
            if message.get(key, 0) is None:
                del message[key]
        if message.get("role") == "assistant" and message.get("content", 0) is None:
            del message["content"]
        carries = message.get("tool_calls") or "refusal" in message or message.get("audio")
        if message.get("role") == "assistant" and "content" not in message and not carries:
            message["content"] = ""
        for call in message.get("tool_calls") or ():
            call.setdefault("type", "function")
        if message.get("tool_calls") == []:
            del message["tool_calls"]
        messages.append(message)
    out["messages"] = messages
    if not out.get("tools", 1):
        del out["tools"]
    for tool in out.get("tools", ()):
        function = tool["function"]
        function.setdefault("strict", False)
        function.setdefault("parameters", {"type": "object", "properties": {}})
        if not function.get("description", 1):
            del function["description"]
    return out


@SETTINGS
@given(st.data())
def test_a_mutated_jsonl_file_is_refused_whole_or_imported_faithfully(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("jsonl")
    path, log = folder / "train.jsonl", folder / "log.sqlite3"
    content = data.draw(mutated_lines(jsonl_text()))
    path.write_bytes(content)
    try:
        chats = Conversation.from_jsonl(path, log=log)
    except TranscriptError:
        assert not log.exists() or conversations(log) == [], "nothing imported"
        assert path.read_bytes() == content, "the file is left as it was"
        return
    lines = [json.loads(line) for line in content.decode("utf-8-sig").split("\n") if line.strip()]
    assert [jsonl_record(chat) for chat in chats] == [normalized(line) for line in lines]
    assert len(conversations(log)) == len(chats)


# -- DataFrames and Parquet ----------------------------------------------------------------------


@functools.cache
def base_frame() -> pd.DataFrame:
    chat = tool_chat()
    chat.regenerate()  # two versions of the last reply: a branch
    return chat.to_dataframe(branches=True)


# Columns recomputed from the others on export (tool_names, cost, ...) or read with a default
# when missing; the mutated value of these is not expected back as it was written.
DERIVED = {"position", "turn", "tool_names", "cost_usd", "on_path", "usage", "media"}
DEFAULTED = {"created", "selected", "kept", "status", "system", "conversation_id", "message_id"}
DEFAULTED |= {"prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens"}
DEFAULTED |= {"reasoning_tokens", "api"}  # api: a missing one is chat, as in old files


@st.composite
def mutated_frame(draw: st.DrawFn) -> tuple[pd.DataFrame, tuple[Any, ...]]:
    """The table with a cell changed (to any JSON, or to another row's value), a column or row
    dropped, a row repeated, or the rows shuffled; and what was done."""
    df = base_frame().copy()
    columns = list(df.columns)
    how = draw(
        st.sampled_from(["cell", "cell", "swap", "drop column", "drop row", "repeat", "shuffle"])
    )
    if how in ("cell", "swap"):
        column, row = draw(st.sampled_from(columns)), draw(st.integers(0, len(df) - 1))
        if how == "cell":
            value = draw(st.one_of(any_json, st.just(math.nan)))
        else:
            value = df[column].iloc[draw(st.integers(0, len(df) - 1))]
        df[column] = df[column].astype(object)
        df.iat[row, columns.index(column)] = value
        return df, (how, column, row)
    if how == "drop column":
        return df.drop(columns=[draw(st.sampled_from(columns))]), (how,)
    row = draw(st.integers(0, len(df) - 1))
    if how == "drop row":
        return df.drop(index=df.index[row]), (how,)
    if how == "repeat":
        return pd.concat([df, df.iloc[[row]]]), (how,)
    return df.sample(frac=1, random_state=draw(st.integers(0, 99))), (how,)


def plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, str) and value[:1] in "[{":  # a nested value as JSON text
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def same(column: str, wrote: Any, read: Any) -> bool:
    """Whether ``read`` (from the export) is what ``wrote`` (in the mutated table) says."""
    if wrote == read or column in DERIVED:
        return True
    if wrote is None and (column in DEFAULTED or column.startswith("param_")):
        return True
    if wrote in ([], {}) and read is None:
        return True
    if column == "created" and isinstance(wrote, (int, float)) and hasattr(read, "timestamp"):
        return abs(read.timestamp() - wrote) < 1e-3
    if column == "tool_calls" and isinstance(wrote, list) and isinstance(read, list):
        return [{k: v for k, v in c.items() if k != "result"} for c in wrote] == [
            {k: v for k, v in c.items() if k != "result"} for c in read
        ]  # the result is the tool message's, shown beside its call
    if column == "params" and isinstance(wrote, dict):  # an unset (None) parameter is no entry
        wrote = {name: value for name, value in wrote.items() if value is not None}
    return column == "params" and not wrote  # the param_* columns still hold them


def check_frame_import(df: pd.DataFrame, what: tuple[Any, ...], log: Path) -> None:
    before = df.copy(deep=True)
    try:
        chat = Conversation.from_dataframe(df, log=log)
    except TranscriptError:
        assert not log.exists() or conversations(log) == [], "nothing imported"
        return
    finally:
        pd.testing.assert_frame_equal(df, before)  # the table is not changed
    out = chat.to_dataframe(branches=True)
    if what[0] not in ("cell", "swap"):
        return
    _, column, row = what
    ident = plain(df["message_id"].iloc[row]) if "message_id" in df else None
    found = out[out["message_id"] == ident] if ident is not None else out.iloc[0:0]
    if column == "api" and found["role"].tolist() != ["assistant"]:
        return  # only a reply carries the protocol it came through
    if len(found) == 1 and column in out:
        wrote, read = plain(df[column].iloc[row]), plain(found[column].iloc[0])
        assert same(column, wrote, read), f"{column}: wrote {wrote!r}, read back {read!r}"


@SETTINGS
@given(mutated_frame())
def test_a_mutated_table_is_refused_whole_or_imported_faithfully(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[pd.DataFrame, tuple[Any, ...]]
) -> None:
    df, what = case
    check_frame_import(df, what, tmp_path_factory.mktemp("frame") / "log.sqlite3")


@functools.cache
def parquet_bytes(folder: Path) -> bytes:
    path = folder / "chat.parquet"
    tool_chat().to_parquet(path)
    return path.read_bytes()


@SETTINGS
@given(st.data())
def test_a_damaged_parquet_file_is_refused_whole(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    folder = tmp_path_factory.mktemp("parquet")
    path, log = folder / "chat.parquet", folder / "log.sqlite3"
    content = data.draw(mutated_bytes(parquet_bytes(tmp_path_factory.getbasetemp())))
    path.write_bytes(content)
    try:
        Conversation.from_parquet(path, log=log)
    except TranscriptError:
        assert not log.exists() or conversations(log) == []
    assert path.read_bytes() == content


@SETTINGS
@given(mutated_frame())
def test_a_mutated_table_in_a_parquet_file_is_refused_whole_or_imported_faithfully(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[pd.DataFrame, tuple[Any, ...]]
) -> None:
    df, _ = case
    folder = tmp_path_factory.mktemp("parquet")
    for name in ("params", "tool_calls", "usage", "content_parts", "audio"):
        if name in df:  # as write_parquet stores nested values: JSON text
            df[name] = [None if plain(v) is None else json.dumps(plain(v)) for v in df[name]]
    try:
        df.to_parquet(folder / "table.parquet")
    except (TypeError, ValueError, OverflowError, ArrowException):  # pyarrow cannot write it
        reject()
    try:
        chat = Conversation.from_parquet(folder / "table.parquet", log=folder / "log.sqlite3")
    except TranscriptError:
        assert not (folder / "log.sqlite3").exists() or conversations(folder / "log.sqlite3") == []
        return
    assert len(chat.to_dataframe(branches=True)) == len(df)


# -- cassettes -----------------------------------------------------------------------------------


def _requests(client: workbench.Client) -> None:
    client.chat.completions.create(model="m", messages=USER)
    for _ in client.chat.completions.create(model="m", messages=USER, stream=True):
        pass
    client.models.list()


@functools.cache
def cassette_text(folder: Path) -> str:
    path = folder / "recorded.jsonl"
    with workbench.Client(local=True, record=path, max_retries=0) as client:
        _requests(client)
    return path.read_text(encoding="utf-8")


@SETTINGS
@given(st.data(), st.sampled_from(["replay", "record_missing", "record"]))
def test_a_mutated_cassette_is_refused_whole_or_replays_with_workbench_errors_only(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, mode: str
) -> None:
    folder = tmp_path_factory.mktemp("cassette")
    path = folder / "run.jsonl"
    content = data.draw(mutated_lines(cassette_text(tmp_path_factory.getbasetemp())))
    path.write_bytes(content)
    options: dict[str, Any] = {"replay": path, "record_missing": True}
    if mode != "record_missing":
        options = {mode: path}
    try:
        client = workbench.Client(local=True, max_retries=0, **options)
    except CassetteError:
        assert path.read_bytes() == content, "a refused cassette is left as it was"
        return
    with client, contextlib.suppress(WorkbenchError):
        _requests(client)
    if mode == "replay":
        assert path.read_bytes() == content, "replaying never writes"


# -- what the properties found, kept as plain cases --------------------------------------------

GOOD_LINE = {
    "messages": [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
    ],
    "tools": [{"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}],
}


def _with(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    line = json.loads(json.dumps(GOOD_LINE))
    parent = line
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return line


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (_with(("messages", 1, "tool_calls", 0, "note"), 1), "messages[1].tool_calls[0].note"),
        (
            _with(("messages", 1, "tool_calls", 0, "function", "x"), 1),
            "messages[1].tool_calls[0].function.x",
        ),
        (_with(("tools", 0, "function", "strict"), "yes"), "tools[0].function.strict"),
        (_with(("tools", 0, "function", "returns"), "str"), "tools[0].function.returns"),
        (_with(("tools", 0, "cache"), True), "tools[0].cache"),
    ],
)
def test_fields_an_import_would_drop_are_refused(tmp_path: Path, line: Any, field: str) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(line) + "\n")
    with pytest.raises(TranscriptError) as caught:
        Conversation.from_jsonl(path, log=False)
    assert caught.value.field == field


def _frame_with(column: str, row: int, value: Any) -> pd.DataFrame:
    df = base_frame().copy()
    df[column] = df[column].astype(object)
    df.iat[row, list(df.columns).index(column)] = value
    return df


@pytest.mark.parametrize(
    ("column", "row", "value", "field"),
    [
        ("created", 0, 1e300, "created"),  # past the year 9999: the export could not show it
        ("conversation_id", 0, ["a"], "conversation_id"),  # was a TypeError
        ("conversation_id", 2, "another", "conversation_id"),  # was a plain ValueError
        ("status", 1, 0, "status"),  # a falsy status read as "complete"
        ("status", 1, [], "status"),
        ("params", 1, {"stop": 5}, "params.stop"),  # not the last reply's: was not checked
        ("system", 3, "another prompt", "system"),  # one system prompt, said twice differently
        ("reasoning_tokens", 3, 4.5e220, "reasoning_tokens"),  # an integer past int64
        ("audio", 1, {}, "audio"),
    ],
)
def test_table_values_an_import_would_change_are_refused(
    column: str, row: int, value: Any, field: str
) -> None:
    with pytest.raises(TranscriptError) as caught:
        Conversation.from_dataframe(_frame_with(column, row, value), log=False)
    assert caught.value.field == field


def test_an_edited_param_column_is_read_or_refused_never_dropped() -> None:
    df = base_frame()
    last = df.index[df["role"] == "assistant"][-1]
    with pytest.raises(TranscriptError) as caught:  # the params dict still says 0.3
        Conversation.from_dataframe(_frame_with("param_temperature", last, 1.5), log=False)
    assert (caught.value.where, caught.value.field) == (f"row {last}", "param_temperature")
    assert "disagrees with params.temperature (0.3)" in caught.value.problem
    edited = _frame_with("param_temperature", last, 1.5).drop(columns=["params"])
    chat = Conversation.from_dataframe(edited, log=False)
    assert chat.params.temperature == 1.5
    assert chat.to_dataframe(branches=True)["param_temperature"][last] == 1.5
    with pytest.raises(TranscriptError, match=r"params\.temperature"):
        Conversation.from_dataframe(edited.assign(param_temperature=7.0), log=False)


def test_a_damaged_parquet_file_is_a_transcript_error(tmp_path: Path) -> None:
    path = tmp_path / "chat.parquet"
    tool_chat().to_parquet(path)
    data = path.read_bytes()
    for damaged in (data[: len(data) // 2], data[:100] + b"\xff" * 50 + data[150:]):
        path.write_bytes(damaged)
        with pytest.raises(TranscriptError, match="Parquet"):
            Conversation.from_parquet(path, log=False)
    with pytest.raises(FileNotFoundError):
        Conversation.from_parquet(tmp_path / "missing.parquet", log=False)


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text.replace('"name": ', '"nome": '),  # pyarrow's KeyError: 'name'
        lambda text: text.replace('"columns": ', '"colums": '),  # KeyError: 'columns'
        lambda text: text[: len(text) // 2],  # its JSONDecodeError
        lambda text: text.replace('"numpy_type": "Int64"', '"numpy_type": "Int6\u00014"'),
    ],
)
def test_damaged_pandas_metadata_is_a_transcript_error(tmp_path: Path, damage: Any) -> None:
    """What hypothesis found by editing bytes: a file pyarrow reads and validates whole but whose
    pandas metadata (pyarrow's hint for rebuilding the table) is damaged."""
    import pyarrow.parquet as pq

    path = tmp_path / "chat.parquet"
    tool_chat().to_parquet(path)
    table = pq.read_table(path)
    meta = dict(table.schema.metadata)
    meta[b"pandas"] = damage(meta[b"pandas"].decode()).encode()
    pq.write_table(table.replace_schema_metadata(meta), path)
    with pytest.raises(TranscriptError, match="Parquet"):
        Conversation.from_parquet(path, log=False)


HEADER = '{"workbench_cassette": 1, "base_url": "http://workbench-local/v1/"}\n'
REQUEST = {"method": "POST", "path": "chat/completions", "query": [], "body": {}}


@pytest.mark.parametrize(
    ("exchange", "says"),
    [
        ({"request": REQUEST}, "neither a response nor an error"),  # was an AssertionError
        ({"request": REQUEST, "response": {"status": 200, "body_base64": "!!"}}, "not base64"),
        ({"request": REQUEST, "response": {"status": 99}}, "response.status"),
        ({"request": REQUEST, "response": {"status": 1000}}, "response.status"),
        ({"request": REQUEST, "response": {"status": 200, "body": "", "body_base64": ""}}, "both"),
        (
            {"request": REQUEST, "response": {"status": 200, "headers": {"a b": "x"}}},
            "not an HTTP header",
        ),
    ],
)
def test_cassette_lines_that_could_not_be_replayed_are_refused_at_once(
    tmp_path: Path, exchange: dict[str, Any], says: str
) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text(HEADER + json.dumps(exchange) + "\n")
    with pytest.raises(CassetteError, match=says) as caught:
        workbench.Client(local=True, replay=path)
    assert caught.value.line == 2


def test_a_recorded_header_that_is_not_ascii_replays(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    body = json.dumps({"object": "list", "data": []})
    response = {"status": 200, "headers": {"x-request-id": "réq-☃"}, "body": body}
    path.write_text(HEADER + json.dumps({"request": {"method": "GET", "path": "models"},
                                         "response": response}) + "\n")  # fmt: skip
    with workbench.Client(local=True, replay=path) as client:
        raw = client.models.with_raw_response.list()
    assert raw.headers["x-request-id"] == "réq-☃"
