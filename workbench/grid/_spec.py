"""A grid's inputs checked and expanded, before anything is sent: rows (prompt x vars), columns
(model x parameter set) and the cells they make."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._exceptions import InvalidParameterError
from ..conversation._params import ChatParams
from ..conversation._protocol_choice import API_CHOICES, Api, check_api
from ..conversation._responses_mapping import UNMAPPED, check_responses_params
from ..conversation._tools import as_tool
from ..evals import Grader
from ._cells import Cell, CellKey
from ._graders import build_graders, check_judge_repeats
from ._prompts import fill, fill_message, message_text, prompt_lists, vars_rows

__all__ = ["RESULT_COLUMNS", "Column", "GridSpec", "Row", "build_spec"]

RESULT_COLUMNS = (
    "prompt",
    "model",
    "api",
    "repeat",
    "output",
    "parsed",
    "refusal",
    "finish_reason",
    "tool_calls",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cached_tokens",
    "cost_usd",
    "latency_s",
    "ttft_s",
    "error",
    "request_id",
    "status",
    "version",
)
"""The columns of ``GridResult.to_dataframe()`` besides vars, parameters and scorers."""

_LABEL_CHARS = 60


@dataclass(frozen=True)
class Row:
    """One row of the table: a prompt filled from one row of vars."""

    index: int
    prompt: int
    vars_index: int
    vars: dict[str, Any]
    messages: tuple[dict[str, Any], ...]
    system: str | None
    label: str

    @property
    def text(self) -> str:
        """The text of the user message the row sends (its last message)."""
        return message_text(self.messages[-1].get("content"))


@dataclass(frozen=True)
class Column:
    """One column of the table: a model, through one protocol, with one parameter set."""

    index: int
    model: str
    params_index: int
    params: dict[str, Any]
    label: str
    api: Api = "chat"


@dataclass(frozen=True)
class GridSpec:
    """Everything a grid sends, checked: its rows, columns and repeats, and the settings every
    cell shares."""

    rows: tuple[Row, ...]
    columns: tuple[Column, ...]
    repeats: int
    prompts: int
    vars_rows: int
    models: tuple[str, ...]
    apis: tuple[Api, ...]
    param_sets: tuple[dict[str, Any], ...]
    var_names: tuple[str, ...]
    param_names: tuple[str, ...]
    response_format: Any
    tools: tuple[Any, ...]
    scorers: dict[str, Callable[..., Any]]
    graders: tuple[Grader, ...] = ()
    judge_repeats: int = 1

    def cells(self) -> list[Cell]:
        """Every cell, pending: row by row, then column, then repeat."""
        return [
            Cell(
                CellKey(
                    row.prompt,
                    row.vars_index,
                    column.model,
                    column.params_index,
                    repeat,
                    column.api,
                ),
                row.index,
                column.index,
                repeat,
                prompt=row.text,
                vars=row.vars,
                params=column.params,
            )
            for row in self.rows
            for column in self.columns
            for repeat in range(self.repeats)
        ]

    def params_for(self, cell: Cell) -> dict[str, Any]:
        """The cell's request parameters (its set, and the grid's ``response_format``)."""
        params = dict(self.columns[cell.column].params)
        if self.response_format is not None:
            params.setdefault("response_format", self.response_format)
        return params

    def structured(self, cell: Cell) -> bool:
        """Whether ``cell`` asks for structured output (its scorers then see ``parsed``)."""
        return self.params_for(cell).get("response_format") not in (None, "text", {"type": "text"})

    @property
    def shape(self) -> str:
        """How the cells multiply, e.g. ``3 prompts x 2 models x 2 parameter sets x 2 repeats``."""
        parts = [_count(self.prompts, "prompt")]
        if self.var_names:
            parts.append(_count(self.vars_rows, "vars row"))
        parts.append(_count(len(self.models), "model"))
        if len(self.apis) > 1:
            parts.append(_count(len(self.apis), "API"))
        if len(self.param_sets) > 1:
            parts.append(_count(len(self.param_sets), "parameter set"))
        if self.repeats > 1:
            parts.append(_count(self.repeats, "repeat"))
        return " x ".join(parts)


def build_spec(
    prompts: Any,
    *,
    models: Any,
    params: Any,
    system: str | None,
    apis: Any = None,
    vars: Any,
    repeats: int,
    tools: Iterable[Any],
    response_format: Any,
    scorers: Mapping[str, Callable[..., Any]] | None,
    default_model: str,
    auto_api: Callable[[str, Mapping[str, Any]], Api] | None = None,
    graders: Any = None,
    judge_repeats: int = 1,
) -> GridSpec:
    """Check the grid's inputs and expand them.

    Without ``apis``, each column's protocol is ``auto`` decided for the grid's client when the
    grid is made (``auto_api(model, params)``; Chat Completions without one), so that a cell's
    key and batch line name the protocol it is sent through.

    Raises:
        InvalidParameterError: naming the input at fault (``prompts[2]``, ``params[1]``,
            ``vars``, ...) and what is wrong with it.
    """

    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise InvalidParameterError("repeats", f"must be an integer >= 1, got {repeats!r}")
    if system is not None and not isinstance(system, str):
        raise InvalidParameterError("system", f"must be a string, got {type(system).__name__}")
    prompts_given = prompt_lists(prompts)
    rows_of_vars = vars_rows(vars)
    var_names = _names_in_order(rows_of_vars or [])
    model_names = _models(models, default_model)
    param_sets = _param_sets(params)
    param_names = _names_in_order(param_sets)
    api_names: list[Api] = _apis(apis) if apis is not None else ["auto"]
    decide = auto_api or (lambda model, params: "chat")
    _check_requests(model_names, param_sets, response_format)
    tool_list = tuple(as_tool(tool) for tool in tools)
    _check_unique("tools", [tool.name for tool in tool_list])
    checked_scorers = _scorers(scorers)
    taken = _check_names(var_names, param_names, list(checked_scorers))
    judge_repeats = check_judge_repeats(judge_repeats)
    grader_list = build_graders(graders, var_names, taken, rows_of_vars or ())
    rows = _rows(prompts_given, rows_of_vars, system)
    columns = tuple(
        Column(
            (m * len(api_names) + a) * len(param_sets) + s,
            model,
            s,
            param_set,
            _column_label(model, param_set, api if len(api_names) > 1 else None),
            api if apis is not None else decide(model, param_set),
        )
        for m, model in enumerate(model_names)
        for a, api in enumerate(api_names)
        for s, param_set in enumerate(param_sets)
    )
    _check_responses_columns(columns, response_format, len(rows) * repeats)
    return GridSpec(
        rows=rows,
        columns=columns,
        repeats=repeats,
        prompts=len(prompts_given),
        vars_rows=len(rows_of_vars or [{}]),
        models=tuple(model_names),
        apis=tuple(api_names),
        param_sets=tuple(param_sets),
        var_names=tuple(var_names),
        param_names=tuple(param_names),
        response_format=response_format,
        tools=tool_list,
        scorers=checked_scorers,
        graders=grader_list,
        judge_repeats=judge_repeats,
    )


def _rows(
    prompts: list[list[dict[str, Any]]],
    vars_rows: list[dict[str, Any]] | None,
    system: str | None,
) -> tuple[Row, ...]:
    rows: list[Row] = []
    for p, messages in enumerate(prompts):
        for v, values in enumerate(vars_rows or [{}]):
            filled = messages
            filled_system = system
            if vars_rows is not None:
                filled = [
                    fill_message(m, values, f"prompts[{p}]" + _at(j, messages), v)
                    for j, m in enumerate(messages)
                ]
                if system is not None:
                    filled_system = fill(system, values, "system", v)
            label = _row_label(filled, values if vars_rows is not None else None, len(prompts))
            rows.append(Row(len(rows), p, v, values, tuple(filled), filled_system, label))
    return tuple(_unique_labels(rows))


def _at(j: int, messages: list[dict[str, Any]]) -> str:
    """Which message of a prompt an error is in (nothing for a prompt given as a string)."""
    return f"[{j}]" if len(messages) > 1 else ""


def _row_label(messages: list[dict[str, Any]], values: dict[str, Any] | None, prompts: int) -> str:
    text = _short(message_text(messages[-1].get("content")), _LABEL_CHARS)
    if values is None:
        return text
    shown = ", ".join(f"{k}={_short(v, 24)}" for k, v in values.items()) or "(no vars)"
    return shown if prompts == 1 else f"{text} · {shown}"


def _unique_labels(rows: list[Row]) -> list[Row]:
    seen: dict[str, int] = {}
    out = []
    for row in rows:
        n = seen[row.label] = seen.get(row.label, 0) + 1
        if n > 1:
            row = Row(**{**row.__dict__, "label": f"{row.label} ({n})"})
        out.append(row)
    return out


# -- models and parameters -------------------------------------------------------------------------


def _models(models: Any, default: str) -> list[str]:
    if models is None:
        return [default]
    names = _listed(models, "models", "a model name or a list of them", "one model")
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameterError(f"models[{i}]", f"must be a model name, got {name!r}")
    _check_unique("models", names)
    return names


def _listed(value: Any, where: str, expected: str, at_least: str) -> list[Any]:
    """``value`` (one string, or an iterable of them) as a list, not empty."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise InvalidParameterError(where, f"must be {expected}, got {type(value).__name__}")
    names = list(value)
    if not names:
        raise InvalidParameterError(where, f"is empty: give at least {at_least}")
    return names


def _param_sets(params: Any) -> list[dict[str, Any]]:
    if params is None:
        return [{}]
    if isinstance(params, Mapping):
        sets = _product(params)
    elif isinstance(params, Sequence) and not isinstance(params, str):
        sets = list(params)
        if not sets:
            raise InvalidParameterError(
                "params", "is empty: give at least one parameter set, or leave params out"
            )
    else:
        raise InvalidParameterError(
            "params",
            f"must be a list of parameter sets or a dict of lists, got {type(params).__name__}",
        )

    out: list[dict[str, Any]] = []
    for i, param_set in enumerate(sets):
        where = f"params[{i}]"
        if not isinstance(param_set, Mapping):
            raise InvalidParameterError(
                where, f"must be a dict of parameters, got {type(param_set).__name__}"
            )
        if "model" in param_set:
            raise InvalidParameterError(
                f"{where}.model", "give the models with models=, not in a parameter set"
            )
        try:
            ChatParams(**param_set)
        except InvalidParameterError as exc:
            raise InvalidParameterError(where, str(exc)) from None
        if param_set in out:
            raise InvalidParameterError(where, f"repeats params[{out.index(dict(param_set))}]")
        out.append(dict(param_set))
    return out


def _product(params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A dict of lists, expanded: every combination of one value per parameter."""
    names = list(params)
    options = []
    for name in names:
        values = params[name]
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if not values:
            raise InvalidParameterError(f"params[{name!r}]", "is an empty list of values")
        options.append(values)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*options)]


def _check_requests(models: list[str], sets: list[dict[str, Any]], response_format: Any) -> None:
    """Each column's whole request through the validator (the cross-field rules)."""

    for s, param_set in enumerate(sets):
        extra = {"response_format": response_format} if response_format is not None else {}
        try:
            ChatParams(model=models[0], **{**extra, **param_set}).to_request()
        except InvalidParameterError as exc:
            where = "response_format" if exc.param == "response_format" else f"params[{s}]"
            raise InvalidParameterError(where, str(exc)) from None


def _apis(apis: Any) -> list[Api]:
    """The protocols of the grid (``apis=``)."""
    expected = "'chat', 'responses', 'auto' or a list of them"
    checked: list[Api] = []
    for i, name in enumerate(_listed(apis, "apis", expected, "one protocol")):
        try:
            checked.append(check_api(name))
        except InvalidParameterError:
            where = f"apis[{i}]"
            raise InvalidParameterError(where, f"got {name!r}", allowed=API_CHOICES) from None
    _check_unique("apis", checked)
    return checked


def _check_responses_columns(columns: Iterable[Column], response_format: Any, cells: int) -> None:
    """Refuse, before the run, a parameter a Responses column cannot send, naming it and the
    cells it would be sent in (``auto`` decides per client when sending: only ``responses``
    columns are known here)."""
    for column in columns:
        if column.api != "responses":
            continue
        extra = {"response_format": response_format} if response_format is not None else {}
        request = ChatParams(model=column.model, **{**extra, **column.params}).to_request()
        try:
            check_responses_params(request)
        except InvalidParameterError as exc:
            raise InvalidParameterError(
                f"params[{column.params_index}]",
                f"{exc.param!r} has no equivalent in the Responses API"
                f" ({UNMAPPED.get(exc.param, 'none')}), and the {cells} cell(s) of column"
                f" {column.label!r} would send it there: leave it out of this parameter set, or"
                " compare it through apis='chat' alone",
            ) from None


def _column_label(model: str, params: dict[str, Any], api: Api | None = None) -> str:
    head = model if api is None else f"{model} · {api}"
    if not params:
        return head
    shown = ", ".join(f"{k}={_short(v, 30)}" for k, v in params.items())
    return f"{head} · {shown}"


def _short(value: Any, width: int) -> str:
    if isinstance(value, type):
        text = value.__qualname__
    else:
        text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# -- names -----------------------------------------------------------------------------------------


def _scorers(scorers: Mapping[str, Callable[..., Any]] | None) -> dict[str, Callable[..., Any]]:
    if scorers is None:
        return {}
    if not isinstance(scorers, Mapping):
        raise InvalidParameterError(
            "scorers", f"must be a dict of name -> callable, got {type(scorers).__name__}"
        )
    for name, scorer in scorers.items():
        if not isinstance(name, str) or not name:
            raise InvalidParameterError("scorers", f"a scorer's name must be a string: {name!r}")
        if not callable(scorer):
            raise InvalidParameterError(f"scorers[{name!r}]", "is not callable")
    return dict(scorers)


def _check_names(
    var_names: list[str], param_names: list[str], scorer_names: list[str]
) -> dict[str, str]:
    """Vars, parameters and scorers become columns of one DataFrame: no two may clash.
    Returns the names taken, with what takes each."""
    taken = {name: "a result column" for name in (*RESULT_COLUMNS, "judge_cost_usd")}
    for kind, names in (("vars", var_names), ("params", param_names), ("scorers", scorer_names)):
        for name in names:
            if name in taken:
                raise InvalidParameterError(
                    kind, f"{name!r} would clash with {taken[name]} of the DataFrame: rename it"
                )
            taken[name] = f"a {kind} column"
        if kind == "scorers":
            for name in names:
                if f"{name}_error" in taken:
                    raise InvalidParameterError(
                        kind, f"'{name}_error' (the column of its errors) is taken: rename it"
                    )
                taken[f"{name}_error"] = "a scorer's column"
    return taken


def _check_unique(where: str, names: Sequence[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidParameterError(where, f"{name!r} is listed twice")
        seen.add(name)


def _names_in_order(dicts: Iterable[Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(name for d in dicts for name in d))


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"
