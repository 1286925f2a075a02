"""What the widget's controls show and accept: the parameters with a control of their own, the
models to choose from, and the notebook's pydantic models for ``response_format``."""

from __future__ import annotations

from typing import Any

import pydantic

from ..conversation._model_ids import model_ids
from ..conversation._params import ChatParams
from ..conversation._protocol_choice import API_CHOICES
from ..conversation._responses_mapping import UNMAPPED
from ..protocol._schema import is_type_like, type_to_response_format

__all__ = [
    "API_INFO",
    "CONTROLS",
    "control_info",
    "control_value",
    "is_json_format",
    "model_choices",
    "response_format_menu",
    "response_model_names",
]

# The parameters with a control of their own beside the transcript (``control_info`` describes
# them to the front end); the rest stay settable from code.
CONTROLS = (
    "model",
    "temperature",
    "top_p",
    "max_completion_tokens",
    "reasoning_effort",
    "verbosity",
    "seed",
    "response_format",
    "tool_choice",
)


API_INFO: dict[str, Any] = {
    "choices": list(API_CHOICES),
    "description": "The protocol of each turn: chat (Chat Completions), responses (the"
    " Responses API), or auto (Responses for OpenAI and the models that need it, Chat"
    " Completions elsewhere)",
}
"""The protocol switch's choices and help (``chat.api``)."""


def control_info() -> dict[str, Any]:
    """What the front end needs to draw each control (type, bounds, choices, help); a
    parameter with no equivalent in the Responses API says why under ``responses``."""
    info = ChatParams.fields_info()
    controls = {name: dict(info[name]) for name in CONTROLS}
    for name, control in controls.items():
        if name in UNMAPPED:
            control["responses"] = f"not sent under the Responses API: {UNMAPPED[name]}"
    return controls


def control_value(name: str, value: Any) -> Any:
    """The value a control sent, as the parameter takes it: ``""`` is "not set" (the model's
    box aside), and for ``response_format`` ``{"pydantic": "Name"}`` is the notebook's model
    ``Name``.

    Raises:
        ValueError: no pydantic model of that name in the notebook.
    """
    if value == "" and name != "model":
        return None
    if name == "response_format" and isinstance(value, dict) and "pydantic" in value:
        return _namespace_model(str(value["pydantic"]))
    return value


def model_choices(client: object) -> list[str]:
    """The models the client lists (a sync or an async one), sorted; none from a client or a
    server without ``/models`` (the model box stays free text)."""
    try:
        return model_ids(client)
    except Exception:
        return []


def response_model_names() -> list[str]:
    """The public pydantic model classes of the notebook's namespace, by name."""
    return sorted(
        name
        for name, value in _user_namespace().items()
        if not name.startswith("_") and _is_model_class(value)
    )


def response_format_menu(value: object) -> dict[str, Any]:
    """What the response-format menu shows for ``value`` (``chat.params.response_format``):
    ``choice``, the menu's entry (``""`` not set, ``text``, ``json_object``, ``json_schema``,
    ``pydantic:<Name>`` for a pydantic model, ``type:<Name>`` for another type); ``label``, its
    words; and for ``json_schema`` the ``schema`` the editor shows.

    A pydantic model is named as such, whether it was chosen in the menu or set from code, and
    a JSON schema dict (raw or wrapped) is ``json_schema`` with its schema.
    """
    if value is None:
        return {"choice": "", "label": "default"}
    if is_type_like(value):
        name = getattr(value, "__name__", None) or _schema_name(value)
        kind = "pydantic" if _is_model_class(value) else "type"
        return {"choice": f"{kind}:{name}", "label": f"{kind}: {name}"}
    api = dict(type_to_response_format(value))  # type: ignore[arg-type]
    kind = str(api.get("type"))
    if kind != "json_schema":
        return {"choice": kind, "label": kind}
    spec = api.get("json_schema")
    schema = spec.get("schema", {}) if isinstance(spec, dict) else {}
    return {"choice": "json_schema", "label": "json_schema…", "schema": schema}


def _schema_name(value: object) -> str:
    api: Any = type_to_response_format(value)  # type: ignore[arg-type]
    return str(api["json_schema"]["name"])


def is_json_format(value: object) -> bool:
    """Whether replies under this ``response_format`` are JSON (shown as partial JSON)."""
    if value is None or value == "text":
        return False
    return not (isinstance(value, dict) and value.get("type") == "text")


def _user_namespace() -> dict[str, Any]:
    """The notebook's namespace (empty outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return {}
    shell = get_ipython()
    return dict(shell.user_ns) if shell is not None else {}


def _is_model_class(value: object) -> bool:

    return (
        isinstance(value, type)
        and issubclass(value, pydantic.BaseModel)
        and value is not pydantic.BaseModel
    )


def _namespace_model(name: str) -> type:
    """The pydantic model class ``name`` from the notebook's namespace."""
    value = _user_namespace().get(name)
    if not _is_model_class(value):
        raise ValueError(f"response_format: no pydantic model named {name!r} in the notebook")
    assert isinstance(value, type)
    return value
