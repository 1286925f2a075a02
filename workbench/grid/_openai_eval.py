"""OpenAI's exported evals as a grid's arguments: the eval's ``testing_criteria`` (graders) and
``item_schema``, its data (``{"item": {...}}`` JSONL lines, perhaps with a ``sample``) and a
run's ``data_source`` (prompt template, model, sampling parameters), each checked before
anything is sent, errors naming the place (``eval.testing_criteria[1]``, ``data[2].label``,
``run.input_messages.template[1].content``)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .._exceptions import InvalidParameterError
from ..evals import Grader, GraderError, grader_from
from ._dataset import read_jsonl_lines
from ._item_schema import check_item
from ._openai_template import prompt_messages

__all__ = ["EvalData", "load_json", "openai_eval_options", "read_eval", "read_run"]

_RUN_TYPES = {"completions": "chat", "responses": "responses"}
"""The run types a grid sends, and the protocol each goes through."""
_RUN_KEYS = ("type", "model", "input_messages", "sampling_params", "source")
_PASSED_ON = ("temperature", "top_p", "seed", "reasoning_effort")


class EvalData:
    """An eval read and checked against its data: its graders, its rows (the ``item`` of each
    line) and each row's given ``sample`` (None where a line has none)."""

    def __init__(self, graders: list[Grader], rows: list[dict[str, Any]], samples: list[Any]):
        self.graders = graders
        self.rows = rows
        self.samples = samples


def load_json(value: Any, where: str) -> dict[str, Any]:
    """``value`` as a dict: a dict itself, or the path of a JSON file holding one."""
    if isinstance(value, (str, os.PathLike)):
        try:
            value = json.loads(Path(value).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InvalidParameterError(where, f"cannot read {str(value)!r}: {exc}") from None
    if not isinstance(value, Mapping):
        raise InvalidParameterError(
            where, f"must be a dict or the path of a JSON file, got {type(value).__name__}"
        )
    return dict(value)


def openai_eval_options(eval: Any, data: Any, run: Any, models: Any) -> dict[str, Any]:
    """The ``Grid`` keyword arguments an eval, its data and a run make.

    Raises:
        InvalidParameterError: anything that would fail, naming its place.
    """
    if run is None:
        raise InvalidParameterError(
            "run",
            "is needed: the run's data_source ({'type': 'completions', 'input_messages': ...})"
            " says what each row sends; GridResult.from_openai_samples grades given samples",
        )
    source = read_run(run)
    checked = read_eval(eval, data, source)
    options: dict[str, Any] = {"vars": checked.rows, "graders": checked.graders}
    options.update(run_options(source, checked.rows))
    if models is not None:
        options["models"] = models
    return options


def read_eval(eval: Any, data: Any, run: Mapping[str, Any] | None) -> EvalData:
    """The eval's graders and its data rows, the rows checked against its ``item_schema`` and
    against what the graders read (``data`` None: the rows the run's source holds)."""
    definition = load_json(eval, "eval")
    schema = _item_schema(definition)
    graders = _testing_criteria(definition)
    rows, samples = _data_rows(data, run)
    for r, row in enumerate(rows):
        check_item(row, schema, f"data[{r}]")
    columns = {name for row in rows for name in row}
    for i, grader in enumerate(graders):
        missing = sorted(grader.references() - columns)
        if missing:
            raise InvalidParameterError(
                f"eval.testing_criteria[{i}]",
                f"{grader.name!r} reads {{{{ item.{missing[0]} }}}}, a field no data row has"
                f" (their fields: {', '.join(sorted(columns)) or 'none'})",
            )
    return EvalData(graders, rows, samples)


def read_run(run: Any) -> dict[str, Any]:
    """A run's ``data_source`` (or a whole run, ``{"data_source": ...}``) as a dict, its keys
    checked."""
    source = load_json(run, "run")
    if "data_source" in source and isinstance(source["data_source"], Mapping):
        source = dict(source["data_source"])
    unknown = sorted(set(source) - set(_RUN_KEYS))
    if unknown:
        raise InvalidParameterError(
            f"run.{unknown[0]}", "is not a key of a run's data_source", allowed=_RUN_KEYS
        )
    return source


def run_options(run: Mapping[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The grid's prompts, model, protocol and parameters from a run's ``data_source``."""
    kind = run.get("type")
    if kind == "jsonl":
        raise InvalidParameterError(
            "run.type",
            "'jsonl' runs grade the samples the data holds and send nothing: use"
            " GridResult.from_openai_samples(eval, data)",
        )
    if kind not in _RUN_TYPES:
        raise InvalidParameterError(
            "run.type", f"{kind!r} is not a run type a grid sends", allowed=list(_RUN_TYPES)
        )
    options: dict[str, Any] = {
        "prompts": [prompt_messages(run.get("input_messages"), rows)],
        "apis": _RUN_TYPES[kind],
    }
    params, response_format = _sampling(run.get("sampling_params"), kind)
    if params:
        options["params"] = [params]
    if response_format is not None:
        options["response_format"] = response_format
    model = run.get("model")
    if model is not None:
        if not isinstance(model, str) or not model.strip():
            raise InvalidParameterError("run.model", f"must be a model name, got {model!r}")
        options["models"] = model
    return options


def _item_schema(definition: Mapping[str, Any]) -> Any:
    """The schema each data row's ``item`` must fit (None when the eval gives none)."""
    config = definition.get("data_source_config")
    if config is None:
        return None
    if not isinstance(config, Mapping):
        raise InvalidParameterError("eval.data_source_config", "must be a dict")
    kind = config.get("type", "custom")
    if kind != "custom":
        raise InvalidParameterError(
            "eval.data_source_config.type",
            f"{kind!r} evals read logs stored on OpenAI's servers, which are not here; a"
            " 'custom' eval (with an item_schema) runs on the data you give",
            allowed=["custom"],
        )
    if "item_schema" in config:  # the eval as created
        return config["item_schema"]
    schema = config.get("schema")  # the eval as the API returns it: item and sample in one
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    return properties.get("item") if isinstance(properties, Mapping) else None


def _testing_criteria(definition: Mapping[str, Any]) -> list[Grader]:
    criteria = definition.get("testing_criteria")
    if not isinstance(criteria, list) or not criteria:
        raise InvalidParameterError(
            "eval.testing_criteria", "must be a non-empty list of grader definitions"
        )
    graders = []
    for i, criterion in enumerate(criteria):
        try:
            graders.append(grader_from(criterion, index=i))
        except GraderError as exc:
            raise InvalidParameterError(f"eval.testing_criteria[{i}]", str(exc)) from None
    return graders


def _data_rows(data: Any, run: Mapping[str, Any] | None) -> tuple[list[dict[str, Any]], list[Any]]:
    """Each data line's ``item`` and its ``sample``; a line without ``item`` is the item."""
    if data is None:
        lines, where = _source_lines(run), "run.source.content"
    elif isinstance(data, (str, os.PathLike)):
        lines, where = read_jsonl_lines(data, "data"), "data"
    elif hasattr(data, "to_dict") and hasattr(data, "columns"):  # a DataFrame of items
        lines, where = data.to_dict(orient="records"), "data"
    elif isinstance(data, Iterable) and not isinstance(data, (Mapping, bytes)):
        lines, where = list(data), "data"
    else:
        raise InvalidParameterError(
            "data", f"must be a JSONL path or a list of items, got {type(data).__name__}"
        )
    if not lines:
        raise InvalidParameterError(where, "has no rows")
    rows: list[dict[str, Any]] = []
    samples: list[Any] = []
    for r, line in enumerate(lines):
        if not isinstance(line, Mapping):
            raise InvalidParameterError(
                f"{where}[{r}]", f"must be a dict, not {type(line).__name__}"
            )
        wrapped = "item" in line and set(line) <= {"item", "sample"}
        item = line["item"] if wrapped else line
        if not isinstance(item, Mapping) or not all(isinstance(k, str) for k in item):
            raise InvalidParameterError(f"{where}[{r}].item", "must be a dict with string keys")
        rows.append(dict(item))
        samples.append(line.get("sample") if wrapped else None)
    return rows, samples


def _source_lines(run: Mapping[str, Any] | None) -> list[Any]:
    source = run.get("source") if run is not None else None
    if isinstance(source, Mapping) and source.get("type") == "file_content":
        content = source.get("content")
        if isinstance(content, list):
            return content
        raise InvalidParameterError("run.source.content", "must be a list of {'item': ...} lines")
    kind = source.get("type") if isinstance(source, Mapping) else None
    where = f" (the run's source is {kind!r}, on OpenAI's servers)" if kind else ""
    raise InvalidParameterError("data", f"is needed: a JSONL path or a list of items{where}")


def _sampling(params: Any, kind: str) -> tuple[dict[str, Any], Any]:
    """A run's ``sampling_params`` as one parameter set, and its response format."""
    if params is None:
        return {}, None
    if not isinstance(params, Mapping):
        raise InvalidParameterError("run.sampling_params", "must be a dict")
    for name in params:
        if name == "tools":
            raise InvalidParameterError(
                "run.sampling_params.tools",
                "an eval's tools are schemas with nothing here to run them; a grid's tools="
                " takes Python functions (give them as Grid.from_openai_eval(..., tools=[...]))",
            )
        own = "text" if kind == "responses" else "response_format"
        allowed = (*_PASSED_ON, "max_completion_tokens", "max_completions_tokens", own)
        if name not in allowed:
            raise InvalidParameterError(
                f"run.sampling_params.{name}",
                f"is not a {kind} sampling parameter",
                allowed=allowed,
            )
    if "max_completion_tokens" in params and "max_completions_tokens" in params:
        raise InvalidParameterError(
            "run.sampling_params", "gives both max_completion_tokens and max_completions_tokens"
        )
    out = {name: params[name] for name in _PASSED_ON if params.get(name) is not None}
    most = params.get("max_completion_tokens", params.get("max_completions_tokens"))
    if most is not None:
        out["max_completion_tokens"] = most
    if kind == "responses" and "seed" in out:
        raise InvalidParameterError(
            "run.sampling_params.seed",
            "the Responses API takes no seed: leave it out, or run the eval as 'completions'",
        )
    if kind == "responses":
        return out, _text_format(params.get("text"))
    response_format = params.get("response_format")
    return out, None if response_format in (None, {"type": "text"}) else response_format


def _text_format(text: Any) -> Any:
    """A Responses ``text.format`` as the Chat Completions ``response_format`` the grid takes."""
    if text is None:
        return None
    form = text.get("format") if isinstance(text, Mapping) else None
    if not isinstance(form, Mapping) or form.get("type") not in (
        "text",
        "json_object",
        "json_schema",
    ):
        raise InvalidParameterError(
            "run.sampling_params.text.format",
            "must be {'type': 'text'}, {'type': 'json_object'} or {'type': 'json_schema', ...}",
        )
    if form["type"] == "json_schema":
        keys = ("name", "schema", "strict", "description")
        return {"type": "json_schema", "json_schema": {k: form[k] for k in keys if k in form}}
    return None if form["type"] == "text" else {"type": "json_object"}
